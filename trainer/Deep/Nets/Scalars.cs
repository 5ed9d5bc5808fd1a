using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace MarlEdge.Trainer.Deep.Nets;

/// <summary>
/// TorchSharp Scalars that stay alive as long as the process.
/// <para>
/// Why: a TorchSharp <see cref="Scalar"/> holds a raw native handle that its finalizer frees. An operator with a number
/// (<c>t * 0.9</c>, <c>1 - t</c>, <c>t.pow(2)</c>, <c>t.clamp(a, b)</c>) makes a temporary Scalar, reads its handle and calls
/// libtorch; from then on the managed object is unreachable, so a garbage collection triggered by another thread during the
/// native call can run its finalizer and free the c10::Scalar that libtorch is still reading. libtorch then sees garbage
/// and throws "Unknown scalar type" (or reads freed memory silently). That was the crash of <c>bench deep-claims</c> after
/// ~17 runs in one process; a thread that only collects garbage reproduces it in under a second
/// (tests/Deep/ScalarLifetimeTests, with DOTNET_TieredCompilation=0).
/// </para>
/// The deep learners therefore never pass a number to a tensor operation: constants go through <see cref="S"/> (cached,
/// rooted by this dictionary, never finalized), and values that change every call are explicit Scalars held by a
/// <c>using</c> until the operation has returned. A test scans the trainer's IL for implicit conversions in trainer/Deep.
/// </summary>
public static class Scalars
{
    static readonly ConcurrentDictionary<double, Scalar> Cache = new();

    /// <summary>The Scalar of a constant (a hyperparameter or a literal): one per distinct value for the whole process.</summary>
    public static Scalar S(double value) => Cache.GetOrAdd(value, static v => v.ToScalar());

    /// <summary>A Scalar of a value that changes every call (Adam's bias corrections): the caller holds it with <c>using</c>, so it
    /// stays reachable until the operations that read it have returned, and frees it right after.</summary>
    public static Scalar Owned(double value) => value.ToScalar();

    static readonly Scalar One = S(1);

    // TorchSharp's own `a + b`, `a + scalar` and `scalar - a` pass a temporary alpha = 1 (Tensor.add(Tensor) calls add(b, 1)):
    // the same race inside the library. These spell the same operations with a rooted alpha.

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    static readonly Scalar IntegerOne = 1L.ToScalar();

    /// <summary>a + b for integer tensors (indices): libtorch refuses a floating alpha there.</summary>
    public static Tensor PlusIndex(this Tensor a, Tensor b) => a.add(b, IntegerOne);

    /// <summary>a + x.</summary>
    public static Tensor Plus(this Tensor a, double x) => a.add(S(x), One);

    /// <summary>1 − a.</summary>
    public static Tensor OneMinus(this Tensor a) => a.neg().add(One, One);
}
