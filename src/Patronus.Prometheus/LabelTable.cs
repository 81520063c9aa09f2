using System.Buffers;

namespace Patronus.Prometheus;

/// <summary>
/// The label bodies of many series (<c>path_id="p1",site="a"</c>, one row per series), validated
/// and escaped once and stored back to back in one UTF-8 array: for families with thousands of
/// series of the same labels, written on every scrape (one per path). Where a
/// <see cref="LabelSet"/> per series is an object (and an array) of its own somewhere on the heap,
/// a table is two arrays read front to back, so a scrape touches little memory beyond what it
/// writes. Immutable; build one per change of the series (a topology), not per scrape.
/// </summary>
public sealed class LabelTable
{
    private readonly byte[] _bytes;
    private readonly int[] _ends;

    private LabelTable(byte[] bytes, int[] ends, int longest)
    {
        _bytes = bytes;
        _ends = ends;
        Longest = longest;
    }

    /// <summary>A table without rows.</summary>
    public static LabelTable Empty { get; } = new([], [], 0);

    /// <summary>Rows in the table.</summary>
    public int Count => _ends.Length;

    /// <summary>Octets of the longest row's body.</summary>
    internal int Longest { get; }

    /// <summary>Row <paramref name="index"/>'s label body as UTF-8.</summary>
    internal ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var start = index == 0 ? 0 : _ends[index - 1];
            return _bytes.AsSpan(start, _ends[index] - start);
        }
    }

    /// <summary>Row <paramref name="index"/>'s label body as text (tests, diagnostics).</summary>
    public string RowText(int index) => System.Text.Encoding.UTF8.GetString(this[index]);

    /// <summary>Builds a table row by row.</summary>
    public sealed class Builder
    {
        private readonly ArrayBufferWriter<byte> _buffer;
        private readonly PrometheusTextWriter _writer;
        private readonly List<int> _ends;
        private int _longest;

        /// <summary>A builder expecting about <paramref name="rows"/> rows.</summary>
        public Builder(int rows = 16)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(rows);
            _buffer = new ArrayBufferWriter<byte>(Math.Max(rows * 32, 256));
            _writer = new PrometheusTextWriter(_buffer);
            _ends = new List<int>(rows);
        }

        /// <summary>Adds a row: each label name validated (a bad one throws), each value escaped.</summary>
        public Builder Add(params ReadOnlySpan<Label> labels)
        {
            var start = _buffer.WrittenCount;
            _writer.WriteLabelBody(labels, "a label table");
            _longest = Math.Max(_longest, _buffer.WrittenCount - start);
            _ends.Add(_buffer.WrittenCount);
            return this;
        }

        /// <summary>The table of the rows added so far.</summary>
        public LabelTable Build() => _ends.Count == 0 ? Empty : new(_buffer.WrittenSpan.ToArray(), [.. _ends], _longest);
    }
}
