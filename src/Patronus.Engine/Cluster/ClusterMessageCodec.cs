using System.Buffers;
using System.Text;
using System.Text.Json;
using Patronus.Engine.Health;

namespace Patronus.Engine.Cluster;

/// <summary>
/// The text of a <see cref="ClusterMessage"/> as one PostgreSQL notification payload: compact JSON
/// of at most <see cref="MaxPayloadBytes"/> UTF-8 bytes (the server refuses 8,000 and more).
/// <code>
/// {"v":1,"k":"h","n":"ctl1","t":3,"s":[["p1",12.5,0,1.25,98.5,0,1733380000123,2,2,1,"ok"],…]}
/// {"v":1,"k":"f","n":"ctl1","t":3}      {"v":1,"k":"r","n":"ctl2","t":3}      {"v":1,"k":"c","n":"ctl2","t":3}
/// {"v":1,"k":"p","n":"ctl1","t":3,"p":[[7,1733380000123,null],…]}
/// </code>
/// A health snapshot is an array: path id, latency ms, loss %, jitter ms, score, status (0 up, 1
/// degraded, 2 down), last checked (Unix ms or null), targets up, targets, quorum, reason — and,
/// only for a path with a passive loss measurement (docs/health.md), three more: the loss source (0
/// active, 1 passive), the probes' own loss %, and the passive measurement as [loss %, expected,
/// received] or null. Without one the array stays at eleven, the format of nodes before the loss
/// source was relayed, which they still read (a node of that version drops a message holding a longer
/// array: during a rolling upgrade it shows its own probes for those paths until it is upgraded). Its
/// BFD liveness is not carried: its effect is already in the score, status and reason. Many
/// snapshots are split over as many payloads as needed, each a whole message; about 60 fit in one.
/// A policy's failback hold-down is an array: policy id, failback pending since (Unix ms or null),
/// held until (Unix ms or null); about 200 fit in one payload.
/// </summary>
public static class ClusterMessageCodec
{
    /// <summary>The largest payload written: below PostgreSQL's 8,000-byte limit with room to spare.</summary>
    public const int MaxPayloadBytes = 7_900;

    /// <summary>Longest reason carried; a longer one is cut (reasons are a line of numbers, far shorter).</summary>
    public const int MaxReasonChars = 256;

    private const int Version = 1;

    // Closing "]}" of a health payload.
    private const int TrailerBytes = 2;

    /// <summary>The payload of a message without snapshots.</summary>
    public static string EncodeSignal(ClusterMessageKind kind, string nodeId, long term)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        if (kind is ClusterMessageKind.Health or ClusterMessageKind.HoldDowns)
        {
            throw new ArgumentException($"{kind} messages carry items: use EncodeHealth or EncodeHoldDowns", nameof(kind));
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteHeader(writer, kind, nodeId, term);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The payloads carrying <paramref name="snapshots"/>, in order, each at most
    /// <see cref="MaxPayloadBytes"/> bytes; none when there are no snapshots.
    /// </summary>
    public static IReadOnlyList<string> EncodeHealth(string nodeId, long term, IReadOnlyList<PathHealthSnapshot> snapshots, int maxPayloadBytes = MaxPayloadBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentNullException.ThrowIfNull(snapshots);
        return Chunked(Header(ClusterMessageKind.Health, nodeId, term, "s"), snapshots, WriteSnapshot, s => $"the snapshot of path {s.PathId}", maxPayloadBytes);
    }

    /// <summary>
    /// The payloads carrying <paramref name="holdDowns"/>, in order, each at most
    /// <see cref="MaxPayloadBytes"/> bytes; none when there are none.
    /// </summary>
    public static IReadOnlyList<string> EncodeHoldDowns(string nodeId, long term, IReadOnlyList<PolicyHoldDown> holdDowns, int maxPayloadBytes = MaxPayloadBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentNullException.ThrowIfNull(holdDowns);
        return Chunked(Header(ClusterMessageKind.HoldDowns, nodeId, term, "p"), holdDowns, WriteHoldDown, h => $"the hold-down of policy {h.PolicyId}", maxPayloadBytes);
    }

    /// <summary>Splits <paramref name="items"/> over payloads of at most <paramref name="maxPayloadBytes"/>, each <paramref name="header"/>, the items, <c>]}</c>.</summary>
    private static List<string> Chunked<T>(byte[] header, IReadOnlyList<T> items, Action<Utf8JsonWriter, T> write, Func<T, string> name, int maxPayloadBytes)
    {
        var payloads = new List<string>();
        var element = new ArrayBufferWriter<byte>(512);
        var payload = new ArrayBufferWriter<byte>(maxPayloadBytes);
        var count = 0;
        foreach (var item in items)
        {
            element.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(element))
            {
                write(writer, item);
            }

            // A separator comma before every element but the first.
            var needed = (count == 0 ? header.Length : payload.WrittenCount + 1) + element.WrittenCount + TrailerBytes;
            if (needed > maxPayloadBytes && count > 0)
            {
                payloads.Add(Finish(payload));
                count = 0;
                needed = header.Length + element.WrittenCount + TrailerBytes;
            }

            if (needed > maxPayloadBytes)
            {
                throw new ArgumentException($"{name(item)} alone exceeds {maxPayloadBytes} bytes", nameof(items));
            }

            if (count == 0)
            {
                payload.ResetWrittenCount();
                payload.Write(header);
            }
            else
            {
                payload.Write(","u8);
            }

            payload.Write(element.WrittenSpan);
            count++;
        }

        if (count > 0)
        {
            payloads.Add(Finish(payload));
        }

        return payloads;
    }

    /// <summary>Reads a payload; false (never an exception) for anything malformed, of another version or of an unknown kind.</summary>
    public static bool TryDecode(string? payload, out ClusterMessage message)
    {
        message = null!;
        if (string.IsNullOrEmpty(payload))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != Version
                || !root.TryGetProperty("k", out var k) || k.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("n", out var n) || n.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(n.GetString())
                || !root.TryGetProperty("t", out var t) || t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out var term) || term < 0)
            {
                return false;
            }

            var nodeId = n.GetString()!;
            switch (k.GetString())
            {
                case "f":
                    message = ClusterMessage.Signal(ClusterMessageKind.FailoverWritten, nodeId, term);
                    return true;
                case "r":
                    message = ClusterMessage.Signal(ClusterMessageKind.Resync, nodeId, term);
                    return true;
                case "c":
                    message = ClusterMessage.Signal(ClusterMessageKind.ConfigChanged, nodeId, term);
                    return true;
                case "h" when root.TryGetProperty("s", out var s) && s.ValueKind == JsonValueKind.Array:
                    var snapshots = new List<PathHealthSnapshot>(s.GetArrayLength());
                    foreach (var item in s.EnumerateArray())
                    {
                        if (!TryReadSnapshot(item, out var snapshot))
                        {
                            return false;
                        }

                        snapshots.Add(snapshot);
                    }

                    message = new ClusterMessage(ClusterMessageKind.Health, nodeId, term, snapshots);
                    return true;
                case "p" when root.TryGetProperty("p", out var p) && p.ValueKind == JsonValueKind.Array:
                    var holdDowns = new List<PolicyHoldDown>(p.GetArrayLength());
                    foreach (var item in p.EnumerateArray())
                    {
                        if (!TryReadHoldDown(item, out var holdDown))
                        {
                            return false;
                        }

                        holdDowns.Add(holdDown);
                    }

                    message = new ClusterMessage(ClusterMessageKind.HoldDowns, nodeId, term, [], holdDowns);
                    return true;
                default:
                    return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] Header(ClusterMessageKind kind, string nodeId, long term, string items)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteHeader(writer, kind, nodeId, term);
            writer.WriteStartArray(items);
            writer.Flush();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteHeader(Utf8JsonWriter writer, ClusterMessageKind kind, string nodeId, long term)
    {
        writer.WriteStartObject();
        writer.WriteNumber("v", Version);
        writer.WriteString("k", kind switch
        {
            ClusterMessageKind.Health => "h",
            ClusterMessageKind.FailoverWritten => "f",
            ClusterMessageKind.ConfigChanged => "c",
            ClusterMessageKind.HoldDowns => "p",
            _ => "r",
        });
        writer.WriteString("n", nodeId);
        writer.WriteNumber("t", term);
    }

    private static string Finish(ArrayBufferWriter<byte> payload)
    {
        payload.Write("]}"u8);
        return Encoding.UTF8.GetString(payload.WrittenSpan);
    }

    private static void WriteSnapshot(Utf8JsonWriter writer, PathHealthSnapshot s)
    {
        writer.WriteStartArray();
        writer.WriteStringValue(s.PathId);
        writer.WriteNumberValue(Finite(s.LatencyMs));
        writer.WriteNumberValue(Finite(s.PacketLossPct));
        writer.WriteNumberValue(Finite(s.JitterMs));
        writer.WriteNumberValue(Finite(s.HealthScore));
        writer.WriteNumberValue((int)s.Status);
        if (s.LastChecked is { } checkedAt)
        {
            writer.WriteNumberValue(checkedAt.ToUnixTimeMilliseconds());
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteNumberValue(s.TargetsUp);
        writer.WriteNumberValue(s.TargetCount);
        writer.WriteNumberValue(s.Quorum);
        writer.WriteStringValue(s.Reason.Length > MaxReasonChars ? s.Reason[..MaxReasonChars] : s.Reason);
        if (s.LossSource != LossSource.Active || s.Passive is not null)
        {
            writer.WriteNumberValue((int)s.LossSource);
            writer.WriteNumberValue(Finite(s.ActiveLossPct));
            if (s.Passive is { } passive)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(Finite(passive.LossPct));
                writer.WriteNumberValue(passive.Expected);
                writer.WriteNumberValue(passive.Received);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteHoldDown(Utf8JsonWriter writer, PolicyHoldDown h)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(h.PolicyId);
        WriteInstant(writer, h.FailbackPendingSince);
        WriteInstant(writer, h.HeldUntil);
        writer.WriteEndArray();
    }

    private static void WriteInstant(Utf8JsonWriter writer, DateTimeOffset? at)
    {
        if (at is { } value)
        {
            writer.WriteNumberValue(value.ToUnixTimeMilliseconds());
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static bool TryReadHoldDown(JsonElement item, out PolicyHoldDown holdDown)
    {
        holdDown = null!;
        if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 3)
        {
            return false;
        }

        var f = item.EnumerateArray().ToArray();
        if (f[0].ValueKind != JsonValueKind.Number || !f[0].TryGetInt64(out var policyId) || policyId < 0
            || !TryReadInstant(f[1], out var pendingSince) || !TryReadInstant(f[2], out var heldUntil))
        {
            return false;
        }

        holdDown = new PolicyHoldDown(policyId, pendingSince, heldUntil);
        return true;
    }

    /// <summary>Unix ms within <see cref="DateTimeOffset"/>'s range, or null.</summary>
    private static bool TryReadInstant(JsonElement e, out DateTimeOffset? at)
    {
        at = null;
        if (e.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var ms) || ms < 0 || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    // JSON has no NaN or infinity; a measurement that is not a number is shown as nothing measured.
    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static bool TryReadSnapshot(JsonElement item, out PathHealthSnapshot snapshot)
    {
        snapshot = null!;
        if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() is not (11 or 14))
        {
            return false;
        }

        var f = item.EnumerateArray().ToArray();
        DateTimeOffset? lastChecked = null;
        if (f[6].ValueKind == JsonValueKind.Number && f[6].TryGetInt64(out var ms) && ms >= 0 && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            lastChecked = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
        else if (f[6].ValueKind != JsonValueKind.Null)
        {
            return false;
        }

        if (f[0].ValueKind != JsonValueKind.String || string.IsNullOrEmpty(f[0].GetString()) || f[10].ValueKind != JsonValueKind.String
            || !TryDouble(f[1], out var latency) || !TryDouble(f[2], out var loss) || !TryDouble(f[3], out var jitter) || !TryDouble(f[4], out var score)
            || !TryInt(f[5], out var status) || status is < 0 or > (int)PathStatus.Down
            || !TryInt(f[7], out var up) || !TryInt(f[8], out var targets) || !TryInt(f[9], out var quorum))
        {
            return false;
        }

        snapshot = new PathHealthSnapshot(f[0].GetString()!, latency, loss, jitter, score, (PathStatus)status, lastChecked, up, targets, quorum, f[10].GetString()!);
        return f.Length == 11 || TryReadLoss(f, ref snapshot);
    }

    /// <summary>Elements 11–13: the loss source, the probes' own loss, the passive measurement or null.</summary>
    private static bool TryReadLoss(JsonElement[] f, ref PathHealthSnapshot snapshot)
    {
        if (!TryInt(f[11], out var source) || source > (int)LossSource.Passive || !TryDouble(f[12], out var activeLoss))
        {
            return false;
        }

        PathPassiveLoss? passive = null;
        if (f[13].ValueKind == JsonValueKind.Array)
        {
            var p = f[13].EnumerateArray().ToArray();
            if (p.Length != 3 || !TryDouble(p[0], out var passiveLoss)
                || p[1].ValueKind != JsonValueKind.Number || !p[1].TryGetInt64(out var expected) || expected < 0
                || p[2].ValueKind != JsonValueKind.Number || !p[2].TryGetInt64(out var received) || received < 0)
            {
                return false;
            }

            passive = new PathPassiveLoss(passiveLoss, expected, received);
        }
        else if (f[13].ValueKind != JsonValueKind.Null)
        {
            return false;
        }

        // The probes' own loss is kept apart only when the passive one replaced it, as the monitor does.
        snapshot = (LossSource)source == LossSource.Passive
            ? snapshot with { LossSource = LossSource.Passive, ActiveLossPct = activeLoss, Passive = passive }
            : snapshot with { Passive = passive };
        return true;
    }

    private static bool TryDouble(JsonElement e, out double value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out value) && double.IsFinite(value);
    }

    private static bool TryInt(JsonElement e, out int value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out value) && value >= 0;
    }
}
