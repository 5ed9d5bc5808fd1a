namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// A problem with SUMO or a scenario, worded as one line for the user: SUMO not installed, a net without traffic
/// lights, a route file SUMO refuses, SUMO dying mid-episode. Commands print it and exit with code 2.
/// </summary>
public class SumoException(string message) : Exception(message);

/// <summary>No sumo binary could be found.</summary>
public sealed class SumoNotInstalledException(string message) : SumoException(message);
