"""A quick check that an installed neurocore works: import, a forward/backward, a tiny training
run. Used by cibuildwheel's test command; `python -m neurocore._smoke` prints "ok" or raises."""
import neurocore as nc


def main() -> None:
    nc.manual_seed(0)
    x = nc.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = nc.tensor([[0.0], [1.0], [1.0], [0.0]])
    w = nc.randn(2, 3, requires_grad=True)
    (x @ w).sigmoid().sum().backward()
    assert w.grad is not None and w.grad.shape == (2, 3)
    model = nc.nn.Sequential(nc.nn.Linear(2, 8), nc.nn.Tanh(), nc.nn.Linear(8, 1), nc.nn.Sigmoid())
    opt = nc.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nc.nn.BCELoss()
    first = loss_fn(model(x), y).item()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first, (first, loss.item())
    print("ok")


if __name__ == "__main__":
    main()
