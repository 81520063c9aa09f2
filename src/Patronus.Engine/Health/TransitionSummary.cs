namespace Patronus.Engine.Health;

/// <summary>
/// Groups one pass's status changes by kind (from → to) for the monitor's summary log line:
/// count, the first few path ids in the order they changed, and the first path's reason.
/// Groups come in the order their first change was seen.
/// </summary>
internal static class TransitionSummary
{
    /// <summary>One kind of change in a pass.</summary>
    /// <param name="From">The status before; null for a first measurement.</param>
    /// <param name="To">The status after.</param>
    /// <param name="Count">How many paths changed so.</param>
    /// <param name="Examples">The first few path ids, comma-separated, "…" when there are more.</param>
    /// <param name="FirstReason">The reason of the first path that changed so.</param>
    internal readonly record struct Kind(PathStatus? From, PathStatus To, int Count, string Examples, string FirstReason);

    internal static List<Kind> Group(IReadOnlyList<(PathStatus? From, PathHealthSnapshot To)> transitions, int examples)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(examples);
        var order = new List<(PathStatus? From, PathStatus To)>();
        var byKind = new Dictionary<(PathStatus? From, PathStatus To), (int Count, List<string> Ids, string Reason)>();
        foreach (var (from, to) in transitions)
        {
            var kind = (from, to.Status);
            if (!byKind.TryGetValue(kind, out var entry))
            {
                order.Add(kind);
                entry = (0, [], to.Reason);
            }

            if (entry.Ids.Count < examples)
            {
                entry.Ids.Add(to.PathId);
            }

            byKind[kind] = (entry.Count + 1, entry.Ids, entry.Reason);
        }

        return order.ConvertAll(kind =>
        {
            var (count, ids, reason) = byKind[kind];
            var named = string.Join(", ", ids);
            return new Kind(kind.From, kind.To, count, count > ids.Count ? named + ", …" : named, reason);
        });
    }
}
