using System.Net;

namespace Patronus.Engine.Traffic;

/// <summary>Active flows per policy from one read of the conntrack table.</summary>
/// <param name="PerPolicy">Entries per policy id (policies without any are absent: zero).</param>
/// <param name="Malformed">Lines that could not be read (skipped).</param>
internal sealed record ConntrackCount(IReadOnlyDictionary<long, long> PerPolicy, int Malformed);

/// <summary>
/// Counts conntrack entries per policy from <c>/proc/net/nf_conntrack</c>, whose lines read
/// <code>
/// ipv4     2 tcp      6 432000 ESTABLISHED src=10.0.0.2 dst=10.20.0.5 sport=50416 dport=443 src=10.20.0.5 dst=… [ASSURED] mark=0 zone=0 use=2
/// ipv6     10 udp     17 30 src=0000:…:0001 dst=2001:0db8:…:0005 sport=56332 dport=53 [UNREPLIED] src=… mark=0 zone=0 use=2
/// </code>
/// An entry is a flow of a policy when its original-direction destination (the first <c>dst=</c>:
/// where the initiator sent it, before any NAT) is in the policy's prefixes. TCP entries in
/// TIME_WAIT or CLOSE are finished connections waiting to expire and are not counted; UDP and
/// ICMP entries count until the kernel expires them (30 s without a reply, 120 s once replied).
/// </summary>
internal static class ConntrackFlows
{
    public static ConntrackCount Count(IEnumerable<string> lines, PolicyPrefixMap policies)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(policies);
        var perPolicy = new Dictionary<long, long>();
        var malformed = 0;
        foreach (var line in lines)
        {
            if (line.Length == 0)
            {
                continue;
            }

            switch (TryReadLine(line, out var destination, out var finished))
            {
                case false:
                    malformed++;
                    break;
                case true when !finished && policies.TryFind(destination!, out var policyId):
                    perPolicy[policyId] = perPolicy.GetValueOrDefault(policyId) + 1;
                    break;
            }
        }

        return new ConntrackCount(perPolicy, malformed);
    }

    /// <summary>Reads one line: its original destination and whether it is a finished TCP connection.</summary>
    internal static bool TryReadLine(string line, out IPAddress? destination, out bool finished)
    {
        destination = null;
        finished = false;
        var span = line.AsSpan();
        var dst = span.IndexOf(" dst=", StringComparison.Ordinal);
        if (dst < 0)
        {
            return false;
        }

        var value = span[(dst + 5)..];
        var end = value.IndexOf(' ');
        if (!IPAddress.TryParse(end < 0 ? value : value[..end], out destination))
        {
            return false;
        }

        // "ipv4 2 tcp 6 TIMEOUT STATE src=…": the state is the sixth field of a TCP entry.
        var fields = span[..dst];
        Span<Range> parts = stackalloc Range[8];
        var count = fields.Split(parts, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count >= 6 && fields[parts[2]].SequenceEqual("tcp"))
        {
            var state = fields[parts[5]];
            finished = state.SequenceEqual("TIME_WAIT") || state.SequenceEqual("CLOSE");
        }

        return true;
    }
}
