using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Traffic;

/// <summary>
/// Which policy an address belongs to: longest prefix first, as the kernel picks between the
/// policies' routes (and as the accounting chain's rule order counts). One hash lookup per distinct
/// prefix length, so classifying a conntrack table of 100,000 entries stays cheap.
/// </summary>
internal sealed class PolicyPrefixMap
{
    // (family, length) groups, longest first; each maps the masked address to the policy id.
    private readonly List<(AddressFamily Family, int Length, Dictionary<UInt128, long> Policies)> _groups;

    public PolicyPrefixMap(IEnumerable<PolicyCounter> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _groups = [];
        foreach (var (prefix, policyId) in policies.SelectMany(p => p.Prefixes.Select(x => (x, p.PolicyId))).OrderBy(x => x.PolicyId))
        {
            var family = prefix.BaseAddress.AddressFamily;
            var group = _groups.FirstOrDefault(g => g.Family == family && g.Length == prefix.PrefixLength);
            if (group.Policies is null)
            {
                group = (family, prefix.PrefixLength, new Dictionary<UInt128, long>());
                _groups.Add(group);
            }

            group.Policies.TryAdd(Mask(Bits(prefix.BaseAddress), family, prefix.PrefixLength), policyId);
        }

        _groups.Sort((a, b) => b.Length.CompareTo(a.Length));
    }

    public bool TryFind(IPAddress address, out long policyId)
    {
        ArgumentNullException.ThrowIfNull(address);
        var family = address.AddressFamily;
        var bits = Bits(address);
        foreach (var (groupFamily, length, policies) in _groups)
        {
            if (groupFamily == family && policies.TryGetValue(Mask(bits, family, length), out policyId))
            {
                return true;
            }
        }

        policyId = 0;
        return false;
    }

    private static UInt128 Bits(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static UInt128 Mask(UInt128 bits, AddressFamily family, int length)
    {
        var width = family == AddressFamily.InterNetwork ? 32 : 128;
        return length == 0 ? UInt128.Zero : bits >> (width - length) << (width - length);
    }
}
