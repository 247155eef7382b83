"""A small CNN learns the bundled MNIST sample quickly (no dataset needed)."""


from snnlite import nn
from snnlite.datasets import load_mnist_sample, to_float


def test_small_cnn_learns_the_bundled_sample():
    x_train, y_train, x_test, y_test = load_mnist_sample()
    x_train, x_test = to_float(x_train), to_float(x_test)
    model = nn.Sequential(nn.Conv2d(1, 8, 5, rng=0), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 12 * 12, 10, rng=1))
    before = nn.evaluate(model, x_test, y_test)["accuracy"]
    history = nn.fit(model, (x_train, y_train), epochs=3, batch_size=32, lr=2e-3, rng=0,
                     progress=False)
    after = nn.evaluate(model, x_test, y_test)["accuracy"]
    assert before < 0.3  # chance level before training
    assert after > 0.8, after
    assert history.loss[1] < history.loss[0]
