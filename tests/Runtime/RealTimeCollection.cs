using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>
/// Tests that run the control loop, watchdog, brokers or killed processes against the wall clock. They run alone, after
/// the parallel tests, so that TorchSharp training in other tests cannot starve a 100 ms control period.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeCollection
{
    public const string Name = "RealTime";
}
