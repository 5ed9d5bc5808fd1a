namespace MarlEdge.Trainer.Deep.Training;

/// <summary>One row of metrics.csv. NormalizedScore is exact (tabular games) or NaN; TestReturn is greedy (non-tabular) or NaN.</summary>
public sealed record DeepCurvePoint(long Step, long Episodes, double TrainReturn, double TestReturn, double NormalizedScore, long Updates, double Seconds)
{
    public double[] ToArray() => [Step, Episodes, TrainReturn, TestReturn, NormalizedScore, Updates, Seconds];
    public static DeepCurvePoint FromArray(ReadOnlySpan<double> v) => new((long)v[0], (long)v[1], v[2], v[3], v[4], (long)v[5], v[6]);
}
