using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Policy;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Nets;

/// <summary>
/// N agents' recurrent Q-networks (DRQN, Hausknecht and Stone 2015) in the layout of the exported <see cref="GruQNetwork"/>:
///   e = ReLU(W_enc o + b_enc);  torch.nn.GRUCell with gates (r, z, n):
///   r = σ(W_ir e + b_ir + W_hr h + b_hr),  z = σ(W_iz e + b_iz + W_hz h + b_hz),  n = tanh(W_in e + b_in + r ⊙ (W_hn h + b_hn)),
///   h' = (1 − z) ⊙ n + z ⊙ h;   q = W_head h' + b_head.
/// Every agent has its own weights (stacked [N, ...] as in <see cref="BatchedLinear"/>); one-hot observations go through a row lookup.
/// </summary>
public sealed class BatchedGruQ : IDisposable
{
    readonly BatchedLinear _encoder, _ih, _hh, _head;
    readonly bool _oneHot;
    public int Hidden { get; }
    public int Agents => _encoder.Agents;

    public BatchedGruQ(int agents, int obsDim, int hidden, int actions, bool shared, bool oneHot, Func<int, Rng> seedOf)
    {
        var rngs = Enumerable.Range(0, shared ? 1 : agents).Select(seedOf).ToArray();
        Func<int, Rng> next = i => new Rng(rngs[i].NextULong());
        Hidden = hidden; _oneHot = oneHot;
        _encoder = new BatchedLinear(agents, obsDim, hidden, shared, next);
        _ih = new BatchedLinear(agents, hidden, 3 * hidden, shared, next);        // torch.nn.GRUCell's U(±1/sqrt(hidden))
        _hh = new BatchedLinear(agents, hidden, 3 * hidden, shared, next);
        _head = new BatchedLinear(agents, hidden, actions, shared, next);
    }

    BatchedLinear[] Layers => [_encoder, _ih, _hh, _head];

    /// <summary>The encoded observation ReLU(W_enc o + b) for obs [N, B, D] (one-hot: int64 indices [N, B, 1]).</summary>
    public Tensor Encode(Tensor obs) => nn.functional.relu(_oneHot ? _encoder.Lookup(obs) : _encoder.Forward(obs));

    /// <summary>The input side of the gates, W_i· e + b_i· [N, B, 3H] (computed for a whole sequence at once by the learner).</summary>
    public Tensor InputGates(Tensor e) => _ih.Forward(e);

    /// <summary>One GRU step: e [N, B, H], h [N, B, H] → h' [N, B, H].</summary>
    public Tensor Step(Tensor e, Tensor h) => StepFromGates(_ih.Forward(e), h);

    /// <summary>One GRU step from precomputed input gates gi = W_i· e + b_i· [N, B, 3H].</summary>
    public Tensor StepFromGates(Tensor inputGates, Tensor h)
    {
        var gi = inputGates.chunk(3, 2);
        var gh = _hh.Forward(h).chunk(3, 2);
        var r = gi[0].Plus(gh[0]).sigmoid();                      // r = σ(W_ir e + b_ir + W_hr h + b_hr)
        var z = gi[1].Plus(gh[1]).sigmoid();                      // z = σ(W_iz e + b_iz + W_hz h + b_hz)
        var n = gi[2].Plus(r * gh[2]).tanh();                     // n = tanh(W_in e + b_in + r ⊙ (W_hn h + b_hn))
        return n.Plus(z * (h - n));                               // h' = (1 − z) ⊙ n + z ⊙ h
    }

    /// <summary>q = W_head h + b_head: [N, B, H] → [N, B, A].</summary>
    public Tensor Q(Tensor h) => _head.Forward(h);

    public Tensor ZeroState(long batch) => zeros(Agents, batch, Hidden);

    public IEnumerable<Tensor> Parameters() => Layers.SelectMany(l => l.Parameters());

    public void CopyFrom(BatchedGruQ other)
    {
        using var _ = no_grad();
        foreach (var (to, from) in Parameters().Zip(other.Parameters())) to.copy_(from);
    }

    /// <summary>Agent i's network as the managed GruQNetwork the ONNX writer exports (the same function, parity-tested).</summary>
    public GruQNetwork ToManaged(int agent) =>
        new(_encoder.ToDense(agent), new GruCell(_ih.ToDense(agent), _hh.ToDense(agent)), _head.ToDense(agent));

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }
}
