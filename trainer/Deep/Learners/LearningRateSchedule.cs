namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>CleanRL's --anneal-lr: Adam's step size falls linearly from its base value at step 0 to 0 at the end of the budget.</summary>
public static class LearningRateSchedule
{
    /// <summary>baseRate · max(0, 1 − step / totalSteps) when annealing, else baseRate.</summary>
    public static double At(double baseRate, bool anneal, long step, long totalSteps) =>
        anneal ? baseRate * Math.Max(0, 1 - (double)step / Math.Max(1, totalSteps)) : baseRate;
}
