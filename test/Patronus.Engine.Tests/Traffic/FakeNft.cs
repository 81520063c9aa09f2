using System.Globalization;
using System.Text;
using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>
/// An nft that keeps one table's named counters in memory and applies scripts as transactions
/// (all or nothing) with the kernel's rules that matter here: deleting what is not there fails,
/// a rule may only name an existing counter, recreating the table zeroes every counter.
/// <c>list counters</c> answers with the JSON of the real nft (see <see cref="NftCountersTests.Captured"/>).
/// </summary>
internal sealed class FakeNft : INftRunner
{
    private const string Target = "inet patronus_acct";
    private readonly Lock _gate = new();
    private Dictionary<string, NftCounter>? _table;

    public List<string> Scripts { get; } = [];

    public int Lists { get; private set; }

    /// <summary>Answer to the next <c>list counters</c> instead of the table (one shot).</summary>
    public string? NextListOutput { get; set; }

    /// <summary>When set, every script fails with this nft error.</summary>
    public string? FailScripts { get; set; }

    public bool TableExists
    {
        get
        {
            lock (_gate)
            {
                return _table is not null;
            }
        }
    }

    public IReadOnlyDictionary<string, NftCounter> Counters
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, NftCounter>(_table ?? []);
            }
        }
    }

    /// <summary>Traffic: adds to a counter, as the kernel would.</summary>
    public void Count(string counter, ulong packets, ulong bytes)
    {
        lock (_gate)
        {
            var c = _table![counter];
            _table[counter] = new NftCounter(c.Packets + packets, c.Bytes + bytes);
        }
    }

    /// <summary>Someone else deletes our table.</summary>
    public void DeleteTable()
    {
        lock (_gate)
        {
            _table = null;
        }
    }

    public Task<NftResult> RunAsync(IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (arguments is ["-f", "-"])
            {
                Scripts.Add(input!);
                return Task.FromResult(FailScripts is { } error ? new NftResult(1, string.Empty, error + "\n") : Apply(input!));
            }

            Assert.Equal(["-j", "list", "counters", "table", "inet", "patronus_acct"], arguments);
            Lists++;
            if (NextListOutput is { } output)
            {
                NextListOutput = null;
                return Task.FromResult(new NftResult(0, output, string.Empty));
            }

            return Task.FromResult(_table is null
                ? new NftResult(1, string.Empty, "Error: No such file or directory\nlist counters table inet patronus_acct\n                         ^^^^^^^^^^^^^\n")
                : new NftResult(0, Json(_table), string.Empty));
        }
    }

    private NftResult Apply(string script)
    {
        var table = _table is null ? null : new Dictionary<string, NftCounter>(_table);
        foreach (var line in script.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            if (line == $"add table {Target}")
            {
                table ??= [];
            }
            else if (line == $"delete table {Target}" || line == $"flush table {Target}")
            {
                if (table is null)
                {
                    return Error(line);
                }

                table = line.StartsWith("delete", StringComparison.Ordinal) ? null : table;
            }
            else if (line.StartsWith($"add counter {Target} ", StringComparison.Ordinal))
            {
                if (table is null)
                {
                    return Error(line);
                }

                table.TryAdd(line[$"add counter {Target} ".Length..], default);
            }
            else if (line.StartsWith($"delete counter {Target} ", StringComparison.Ordinal))
            {
                if (table is null || !table.Remove(line[$"delete counter {Target} ".Length..]))
                {
                    return Error(line);
                }
            }
            else if (line.StartsWith($"add chain {Target} ", StringComparison.Ordinal) || line.StartsWith($"add rule {Target} ", StringComparison.Ordinal))
            {
                var name = line.Split("counter name \"") is [_, var rest] ? rest[..rest.IndexOf('"', StringComparison.Ordinal)] : null;
                if (table is null || (name is not null && !table.ContainsKey(name)))
                {
                    return Error(line);
                }
            }
            else
            {
                Assert.Fail($"the fake does not know: {line}");
            }
        }

        _table = table;
        return new NftResult(0, string.Empty, string.Empty);
    }

    private static NftResult Error(string line) => new(1, string.Empty, $"Error: No such file or directory\n{line}\n");

    private static string Json(Dictionary<string, NftCounter> table)
    {
        var json = new StringBuilder("""{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}""");
        var handle = 3;
        foreach (var (name, c) in table)
        {
            json.Append(CultureInfo.InvariantCulture,
                $$""", {"counter": {"family": "inet", "name": "{{name}}", "table": "patronus_acct", "handle": {{handle++}}, "packets": {{c.Packets}}, "bytes": {{c.Bytes}}""").Append("}}");
        }

        return json.Append("]}").ToString();
    }
}
