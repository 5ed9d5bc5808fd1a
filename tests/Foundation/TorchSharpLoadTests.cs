using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MarlEdge.Tests.Foundation;

/// <summary>Fails if TorchSharp's native library cannot load (on Debian 12 that needs the build's ELF fix).</summary>
public class TorchSharpLoadTests
{
    [Fact]
    public void TorchSharpLoadsAndTrainsATinyMlp()
    {
        torch.manual_seed(0);
        var model = nn.Sequential(("l1", nn.Linear(4, 16)), ("relu", nn.ReLU()), ("l2", nn.Linear(16, 1)));
        var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        var x = torch.randn(64, 4);
        var y = x.sum(1, keepdim: true);
        double first = 0, last = 0;
        for (int i = 0; i < 200; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (i == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first / 10, $"loss went from {first} to {last}");
    }
}
