"""The training loop and accuracy the image examples share (lenet5.py, resnet_block.py)."""
import time

import neurocore as nc
import neurocore.nn.functional as F


def accuracy(model, x, y, batch_size=256):
    """Share of samples whose largest output is the label, in eval mode and without autograd."""
    model.eval()
    correct = 0
    with nc.no_grad():
        for i in range(0, len(y), batch_size):
            correct += (model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
    model.train()
    return correct / len(y)


def train_epochs(model, opt, data, epochs, batch_size, verbose):
    """Cross-entropy training with cosine decay of the learning rate to zero over the run (steadies the last
    epochs). data = (x_train, y_train, x_test, y_test). Returns (test accuracy, seconds)."""
    x_train, y_train, x_test, y_test = data
    sched = nc.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = nc.data.DataLoader(nc.data.TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    start = time.perf_counter()
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        sched.step()
        if verbose:
            print(f"epoch {epoch + 1:2d}  loss {total / len(y_train):.4f}  "
                  f"test accuracy {accuracy(model, x_test, y_test):.4f}")
    return accuracy(model, x_test, y_test), time.perf_counter() - start
