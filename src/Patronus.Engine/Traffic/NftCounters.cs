using System.Text.Json;

namespace Patronus.Engine.Traffic;

/// <summary>One named nftables counter as the kernel reported it.</summary>
internal readonly record struct NftCounter(ulong Packets, ulong Bytes);

/// <summary>
/// Parses <c>nft -j list counters table inet patronus_acct</c> (libnftables JSON, schema version 1):
/// <code>
/// {"nftables": [{"metainfo": {"version": "1.0.6", …, "json_schema_version": 1}},
///   {"counter": {"family": "inet", "name": "policy_1", "table": "patronus_acct", "handle": 3, "packets": 4, "bytes": 3212}}, …]}
/// </code>
/// All or nothing: one malformed counter rejects the whole read (a half-applied read could make a
/// total jump), and bad input is a value (an error message), never an exception.
/// </summary>
internal static class NftCounters
{
    /// <summary>True with every counter of the table; false with the reason and no counters.</summary>
    public static bool TryParse(string json, out Dictionary<string, NftCounter> counters, out string? error)
    {
        counters = new Dictionary<string, NftCounter>(StringComparer.Ordinal);
        return TryParse(json, counters, out error);
    }

    /// <summary>The same, into <paramref name="counters"/> (cleared first; empty after a failure).</summary>
    public static bool TryParse(string json, Dictionary<string, NftCounter> counters, out string? error)
    {
        ArgumentNullException.ThrowIfNull(counters);
        counters.Clear();
        if (!TryParseCore(json, counters, out error))
        {
            counters.Clear();
            return false;
        }

        return true;
    }

    private static bool TryParseCore(string json, Dictionary<string, NftCounter> counters, out string? error)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                error = "no \"nftables\" array";
                return false;
            }

            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    error = $"an item is {item.ValueKind}, not an object";
                    return false;
                }

                if (!item.TryGetProperty("counter", out var counter))
                {
                    continue; // metainfo, or anything a newer nft adds
                }

                if (!TryRead(counter, out var name, out var value, out error))
                {
                    return false;
                }

                if (!counters.TryAdd(name, value))
                {
                    error = $"counter {name} listed twice";
                    return false;
                }
            }

            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            error = $"not JSON: {ex.Message}";
            return false;
        }
    }

    private static bool TryRead(JsonElement counter, out string name, out NftCounter value, out string? error)
    {
        name = string.Empty;
        value = default;
        if (counter.ValueKind != JsonValueKind.Object)
        {
            error = "a counter is not an object";
            return false;
        }

        if (!counter.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || n.GetString() is not { Length: > 0 } s)
        {
            error = "a counter has no name";
            return false;
        }

        name = s;
        if (!Is(counter, "table", AccountingRuleset.Table) || !Is(counter, "family", AccountingRuleset.Family))
        {
            error = $"counter {name} is not in table {AccountingRuleset.Family} {AccountingRuleset.Table}";
            return false;
        }

        if (!TryUInt64(counter, "packets", out var packets) || !TryUInt64(counter, "bytes", out var bytes))
        {
            error = $"counter {name} has no unsigned packets and bytes";
            return false;
        }

        value = new NftCounter(packets, bytes);
        error = null;
        return true;
    }

    private static bool Is(JsonElement counter, string property, string expected) =>
        counter.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String && p.GetString() == expected;

    private static bool TryUInt64(JsonElement counter, string property, out ulong value)
    {
        value = 0;
        return counter.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetUInt64(out value);
    }
}
