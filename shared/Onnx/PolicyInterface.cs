using MarlEdge.Shared.Policy;
using static MarlEdge.Shared.Onnx.PolicyContract;

namespace MarlEdge.Shared.Onnx;

/// <summary>One graph input or output: shape [batch, FeatureDim], or [batch] when FeatureDim is 0 (the int64 action).</summary>
public sealed record TensorPort(string Name, int FeatureDim, bool IsInt64 = false)
{
    public string ShapeText => FeatureDim == 0 ? $"[{BatchDim}]" : $"[{BatchDim}, {FeatureDim}]";
}

/// <summary>The inputs and outputs a policy model of some kind and size must have: what a device binds to.</summary>
public sealed record PolicyInterface(IReadOnlyList<TensorPort> Inputs, IReadOnlyList<TensorPort> Outputs)
{
    public static PolicyInterface Of(PolicyNetwork network) => network switch
    {
        GaussianActor g => Continuous(g.ObservationDim, g.ActionSize),
        GruQNetwork r => Discrete(r.ObservationDim, r.ActionSize, "q_values", r.HiddenDim),
        DiscretePolicyNetwork d => Discrete(d.ObservationDim, d.ActionSize, d.OutputName, 0),
        _ => throw new NotSupportedException(network.GetType().Name),
    };

    /// <summary>A discrete policy: obs, action_mask (and state_in) in; values, action (and state_out) out.</summary>
    public static PolicyInterface Discrete(int obsDim, int actions, string valuesName, int recurrentDim)
    {
        var inputs = new List<TensorPort> { new(ObsInput, obsDim), new(ActionMaskInput, actions) };
        var outputs = new List<TensorPort> { new(valuesName, actions), new(ActionOutput, 0, IsInt64: true) };
        if (recurrentDim > 0)
        {
            inputs.Add(new(StateInput, recurrentDim));
            outputs.Add(new(StateOutput, recurrentDim));
        }
        return new PolicyInterface(inputs, outputs);
    }

    public static PolicyInterface Continuous(int obsDim, int actionDim) =>
        new([new(ObsInput, obsDim)], [new(MeanOutput, actionDim), new(LogStdOutput, actionDim)]);
}
