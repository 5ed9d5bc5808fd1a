using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using MarlEdge.Trainer.Deep.Learners;
using Xunit;

namespace MarlEdge.Tests.Deep;

/// <summary>
/// The static half of the Scalar-lifetime fix (trainer/Deep/Nets/Scalars.cs). TorchSharp frees a Scalar's native handle in
/// its finalizer, so a Scalar made only for one call can be freed by a collection during that call. This test decodes the
/// IL of every method under MarlEdge.Trainer.Deep and of TorchSharp itself: no Deep method may call a TorchSharp method that
/// makes such a temporary, directly (an implicit conversion, ToScalar) or through TorchSharp's own callees (Tensor.add(b)
/// calls add(b, 1), so `a + b` has one too). Scalars.S (rooted constants) and using-held Scalars are the two allowed ways.
/// </summary>
public class NoImplicitScalarsTests
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    static IEnumerable<int> CalledTokens(byte[] il)
    {
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = OpCodesByValue[value];
            int at = i + op.Size;
            if (op.OperandType == OperandType.InlineMethod) yield return BitConverter.ToInt32(il, at);
            i = at + op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
        }
    }

    static string TypeDefName(MetadataReader r, TypeDefinitionHandle h)
    {
        var t = r.GetTypeDefinition(h);
        var outer = t.GetDeclaringType();
        return (outer.IsNil ? r.GetString(t.Namespace) : TypeDefName(r, outer)) + "." + r.GetString(t.Name);
    }

    static string TypeRefName(MetadataReader r, TypeReferenceHandle h)
    {
        var t = r.GetTypeReference(h);
        return (t.ResolutionScope.Kind == HandleKind.TypeReference ? TypeRefName(r, (TypeReferenceHandle)t.ResolutionScope) : r.GetString(t.Namespace)) + "." + r.GetString(t.Name);
    }

    [Fact]
    public void DeepCodeHandsNoTemporaryScalarToTorch()
    {
        // 1. TorchSharp: the methods that make a temporary Scalar, directly or through their callees in TorchSharp.
        using var torchStream = File.OpenRead(typeof(TorchSharp.torch).Assembly.Location);
        using var torchPe = new PEReader(torchStream);
        var t = torchPe.GetMetadataReader();
        var keyOf = new Dictionary<MethodDefinitionHandle, string>();
        foreach (var th in t.TypeDefinitions)
            foreach (var mh in t.GetTypeDefinition(th).GetMethods())
            {
                var m = t.GetMethodDefinition(mh);
                keyOf[mh] = $"{TypeDefName(t, th)}::{t.GetString(m.Name)}({string.Join(",", m.DecodeSignature(new TypeNames(), null).ParameterTypes)})";
            }
        var makes = new Dictionary<string, string>();                       // method key → why
        var callees = new Dictionary<MethodDefinitionHandle, List<MethodDefinitionHandle>>();
        foreach (var (mh, key) in keyOf)
        {
            var m = t.GetMethodDefinition(mh);
            if (m.RelativeVirtualAddress == 0) continue;
            var list = callees[mh] = new();
            foreach (var token in CalledTokens(torchPe.GetMethodBody(m.RelativeVirtualAddress).GetILBytes()!))
            {
                var h = MetadataTokens.EntityHandle(token);
                if (h.Kind != HandleKind.MethodDefinition) continue;
                string callee = keyOf[(MethodDefinitionHandle)h];
                if (callee.Contains("Scalar::op_Implicit") || callee.Contains("ScalarExtensionMethods::To")) makes[key] = callee;
                else list.Add((MethodDefinitionHandle)h);
            }
        }
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var (mh, list) in callees)
                if (!makes.ContainsKey(keyOf[mh]) && list.FirstOrDefault(c => makes.ContainsKey(keyOf[c])) is var c && !c.IsNil)
                {
                    makes[keyOf[mh]] = "via " + keyOf[c];
                    changed = true;
                }
        }
        Assert.True(makes.ContainsKey("TorchSharp.torch.Tensor::op_Addition(Tensor,Tensor)"), "the analysis should see add(b) → add(b, 1)");

        // 2. The trainer's Deep code: every call into TorchSharp.
        using var stream = File.OpenRead(typeof(DeepIql).Assembly.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var found = new SortedSet<string>();
        foreach (var th in md.TypeDefinitions)
        {
            string type = TypeDefName(md, th);
            if (!type.StartsWith("MarlEdge.Trainer.Deep.", StringComparison.Ordinal) || type.StartsWith("MarlEdge.Trainer.Deep.Nets.Scalars", StringComparison.Ordinal)) continue;
            foreach (var mh in md.GetTypeDefinition(th).GetMethods())
            {
                var m = md.GetMethodDefinition(mh);
                if (m.RelativeVirtualAddress == 0) continue;
                foreach (var token in CalledTokens(pe.GetMethodBody(m.RelativeVirtualAddress).GetILBytes()!))
                {
                    var h = MetadataTokens.EntityHandle(token);
                    if (h.Kind != HandleKind.MemberReference) continue;
                    var r = md.GetMemberReference((MemberReferenceHandle)h);
                    if (r.GetKind() != MemberReferenceKind.Method || r.Parent.Kind != HandleKind.TypeReference) continue;
                    string callee = $"{TypeRefName(md, (TypeReferenceHandle)r.Parent)}::{md.GetString(r.Name)}({string.Join(",", r.DecodeMethodSignature(new TypeNames(), null).ParameterTypes)})";
                    if (callee.Contains("Scalar::op_Implicit") || callee.Contains("ScalarExtensionMethods::To")) found.Add($"{type}.{md.GetString(m.Name)}: {callee}");
                    else if (makes.TryGetValue(callee, out var why)) found.Add($"{type}.{md.GetString(m.Name)}: {callee} ({why})");
                }
            }
        }
        Assert.True(found.Count == 0, "temporary Scalars handed to libtorch (use Scalars.S / Plus / OneMinus, or a using-held Scalar):\n" + string.Join("\n", found));
    }

    sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string e, ArrayShape s) => e + "[]";
        public string GetByReferenceType(string e) => e + "&";
        public string GetFunctionPointerType(MethodSignature<string> s) => "fnptr";
        public string GetGenericInstantiation(string g, System.Collections.Immutable.ImmutableArray<string> a) => g + "<" + string.Join(",", a) + ">";
        public string GetGenericMethodParameter(object? c, int i) => "!!" + i;
        public string GetGenericTypeParameter(object? c, int i) => "!" + i;
        public string GetModifiedType(string m, string u, bool r) => u;
        public string GetPinnedType(string e) => e;
        public string GetPointerType(string e) => e + "*";
        public string GetPrimitiveType(PrimitiveTypeCode t) => t.ToString();
        public string GetSZArrayType(string e) => e + "[]";
        public string GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle h, byte k) => r.GetString(r.GetTypeDefinition(h).Name);
        public string GetTypeFromReference(MetadataReader r, TypeReferenceHandle h, byte k) => r.GetString(r.GetTypeReference(h).Name);
        public string GetTypeFromSpecification(MetadataReader r, object? c, TypeSpecificationHandle h, byte k) => "spec";
    }
}
