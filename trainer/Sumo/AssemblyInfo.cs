using System.Runtime.CompilerServices;

// The SUMO tests check the TraCI client's subscriptions and the signal states the environment sets.
[assembly: InternalsVisibleTo("MarlEdge.Tests")]
