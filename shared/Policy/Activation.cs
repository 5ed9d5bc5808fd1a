namespace MarlEdge.Shared.Policy;

/// <summary>The nonlinearity between hidden layers: ReLU (CleanRL's DQN) or Tanh (CleanRL's PPO).</summary>
public enum Activation { ReLU, Tanh }

public static class ActivationFunctions
{
    public static void ApplyInPlace(this Activation activation, Span<float> x)
    {
        if (activation == Activation.ReLU)
            for (int i = 0; i < x.Length; i++) x[i] = x[i] > 0 ? x[i] : 0;
        else
            for (int i = 0; i < x.Length; i++) x[i] = MathF.Tanh(x[i]);
    }

    public static string Name(this Activation activation) => activation == Activation.ReLU ? "relu" : "tanh";

    public static Activation Parse(string name) => name switch
    {
        "relu" => Activation.ReLU,
        "tanh" => Activation.Tanh,
        _ => throw new FormatException($"unknown activation '{name}' (expected relu or tanh)"),
    };
}
