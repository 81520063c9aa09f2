namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// Hands out ICMP echo identifiers, unique across the process. Process-wide rather than per
/// factory or per socket because every raw ICMP socket on the host sees every echo reply: two
/// sessions towards the same target on different sockets must still differ in identifier.
/// Allocation rotates from a random start, so a just-released identifier is not reused until
/// the other 65 535 have been (a late reply to a closed session cannot match its successor),
/// and two Patronus processes on one host are unlikely to collide (the payload magic and the
/// sequence check cover the rest).
/// </summary>
internal static class IcmpIdentifiers
{
    private static readonly Lock s_gate = new();
    private static readonly HashSet<ushort> s_inUse = [];
#pragma warning disable CA5394 // Not security: only spreads identifiers across processes.
    private static ushort s_next = (ushort)Random.Shared.Next(0, 1 << 16);
#pragma warning restore CA5394

    /// <summary>False when all 65 536 identifiers are in use.</summary>
    public static bool TryAllocate(out ushort identifier)
    {
        lock (s_gate)
        {
            for (var i = 0; i < 1 << 16; i++)
            {
                var candidate = s_next++;
                if (s_inUse.Add(candidate))
                {
                    identifier = candidate;
                    return true;
                }
            }
        }

        identifier = 0;
        return false;
    }

    public static void Release(ushort identifier)
    {
        lock (s_gate)
        {
            s_inUse.Remove(identifier);
        }
    }
}
