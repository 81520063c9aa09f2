namespace Patronus.Prometheus;

/// <summary>
/// Whole columns of samples over a <see cref="LabelTable"/>: each line is composed in the output's
/// own memory (name, labels, number, line feed) and the output is asked for room once per ~64 KB,
/// not once per token. The lines are byte for byte those of the per-sample methods.
/// </summary>
public sealed partial class PrometheusTextWriter
{
    // Room asked of the output at a time: many lines per GetSpan/Advance.
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Writes one sample per row of <paramref name="rows"/>, row i with <paramref name="values"/>[i]
    /// rounded to <paramref name="decimals"/> places: the same lines as
    /// <see cref="Sample(string, LabelSet, double, int)"/> called for each row.
    /// </summary>
    public void Samples(string name, LabelTable rows, ReadOnlySpan<double> values, int decimals)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, MaxFixedDecimals);
        if (values.Length != rows.Count)
        {
            throw new ArgumentException($"{rows.Count} rows need {rows.Count} values, got {values.Length}", nameof(values));
        }

        var prefix = SamplePrefix(name);
        var longest = prefix.Length + rows.Longest + 3 + MaxNumberLength + 1;
        var span = Span<byte>.Empty;
        var at = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (span.Length - at < longest)
            {
                _output.Advance(at);
                span = _output.GetSpan(Math.Max(longest, ChunkSize));
                at = 0;
            }

            at += Line(span[at..], prefix, rows[i], default);
            at += FormatRounded(span[at..], values[i], decimals);
            span[at++] = (byte)'\n';
        }

        _output.Advance(at);
    }

    /// <summary>
    /// Writes a state set: for each row of <paramref name="rows"/>, one sample per state of
    /// <paramref name="states"/> (the row's labels, then the state's), 1 for the row's
    /// <paramref name="current"/> state (an index into <paramref name="states"/>) and 0 for the
    /// others — the same lines as <see cref="Sample(string, LabelSet, LabelSet, long)"/> row by row,
    /// state by state.
    /// </summary>
    public void StateSet(string name, LabelTable rows, ReadOnlySpan<LabelSet> states, ReadOnlySpan<byte> current)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (current.Length != rows.Count)
        {
            throw new ArgumentException($"{rows.Count} rows need {rows.Count} states, got {current.Length}", nameof(current));
        }

        var longestState = 0;
        foreach (var state in states)
        {
            ArgumentNullException.ThrowIfNull(state, nameof(states));
            longestState = Math.Max(longestState, state.Body.Length);
        }

        var prefix = SamplePrefix(name);
        var longest = prefix.Length + rows.Longest + longestState + 4 + 2;
        var span = Span<byte>.Empty;
        var at = 0;
        for (var i = 0; i < current.Length; i++)
        {
            var body = rows[i];
            for (var s = 0; s < states.Length; s++)
            {
                if (span.Length - at < longest)
                {
                    _output.Advance(at);
                    span = _output.GetSpan(Math.Max(longest, ChunkSize));
                    at = 0;
                }

                at += Line(span[at..], prefix, body, states[s].Body);
                span[at++] = current[i] == s ? (byte)'1' : (byte)'0';
                span[at++] = (byte)'\n';
            }
        }

        _output.Advance(at);
    }

    internal void WriteLabelBody(ReadOnlySpan<Label> labels, string context) => LabelBody(labels, context);

    /// <summary>The sample name as UTF-8, checked against the current family.</summary>
    private ReadOnlySpan<byte> SamplePrefix(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_family is null || !BelongsToFamily(name))
        {
            throw new InvalidOperationException($"sample '{name}' does not belong to the current family '{_family}'");
        }

        // The histogram suffixes are never tables; a sample of a table is the family's own name.
        return name.Length == _familyUtf8.Length ? _familyUtf8 : System.Text.Encoding.ASCII.GetBytes(name);
    }

    /// <summary><c>name{first,second} </c> (braces only with labels, the comma only between two bodies); returns octets written.</summary>
    private static int Line(Span<byte> span, ReadOnlySpan<byte> name, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        name.CopyTo(span);
        var at = name.Length;
        if (first.Length + second.Length > 0)
        {
            span[at++] = (byte)'{';
            first.CopyTo(span[at..]);
            at += first.Length;
            if (first.Length > 0 && second.Length > 0)
            {
                span[at++] = (byte)',';
            }

            second.CopyTo(span[at..]);
            at += second.Length;
            span[at++] = (byte)'}';
        }

        span[at++] = (byte)' ';
        return at;
    }
}
