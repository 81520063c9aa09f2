using System.Diagnostics;
using Dapper;
using Npgsql;
using Patronus.Persistence.Tests;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;
using Xunit.Abstractions;

namespace Patronus.Server.Tests.Cli;

/// <summary>
/// Three real <c>serve</c> processes on one throwaway PostgreSQL database (docs/ha.md, failure
/// scenarios): kill -9 the leader and a follower takes over; SIGSTOP a leader past its lease and it
/// comes back a follower. One test, so the three start-ups are paid once. The measured times are
/// written to the test output (<c>--logger "console;verbosity=detailed"</c>).
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusterProcessTests(PostgresFixture postgres, ITestOutputHelper output) : IDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    // One dead STAMP target (nothing listens on the discard port): the path is Down, but every
    // 100 ms sample is still a leader write (raw samples on), so the first write of a new leader
    // shows within a flush interval (250 ms) of its election.
    private const string Config = """
        { "Sites": [ { "Id": "s" } ], "Links": [ { "Id": "l", "Site": "s", "SourceAddress": "127.0.0.1" } ],
          "Paths": [ { "Id": "p", "Link": "l", "Targets": [ "127.0.0.1:9" ] } ] }
        """;

    private readonly TempDir _dir = new();
    private readonly Dictionary<string, PatronusProcess> _nodes = new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var node in _nodes.Values)
        {
            if (!node.HasExited)
            {
                node.Signal(SigCont); // a stopped process ignores SIGTERM/SIGKILL handling until continued
            }

            node.Dispose();
        }

        _dir.Dispose();
    }

    private static async Task<(string? Holder, long Term, long AcquiredAt)> LeaseAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        // One clock reading for both sides of the test: two readings (one per UNION branch) returned
        // the row twice when the lease expired between them, as it does right after a kill -9.
        return await connection.QuerySingleAsync<(string?, long, long)>(
            "SELECT CASE WHEN l.expires_at > n.t THEN l.holder END, l.term, CASE WHEN l.expires_at > n.t THEN COALESCE(l.acquired_at, 0) ELSE 0 END " +
            "FROM cluster_lease l, (SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint AS t) n WHERE l.name = 'leader'");
    }

    private static async Task<long> SamplesAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sdwan_path_health");
    }

    private static Task<double?> MetricAsync(string url, string family) => ClusterLab.MetricAtAsync(url, family);

    [Fact]
    public async Task ThreeServeProcesses_KillNineLeader_NewLeaderWritesWithin3s_StoppedLeaderComesBackFollower()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        await using var db = NpgsqlDataSource.Create(location.ConnectionString);
        var config = Path.Combine(_dir.Path, "patronus.json");
        await File.WriteAllTextAsync(config, Config);
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in new[] { "n1", "n2", "n3" })
        {
            urls[id] = $"http://127.0.0.1:{CliProcessTests.FreePort()}";
            _nodes[id] = PatronusProcess.StartWith(new Dictionary<string, string>
            {
                ["PATRONUS__STORE__CONNECTIONSTRING"] = location.ConnectionString,
                ["PATRONUS__CLUSTER__NODEID"] = id,
                ["PATRONUS__FAILOVER__KERNELROUTES"] = "false",
                ["PATRONUS__HEALTH__SAMPLEINTERVAL"] = "00:00:00.100",
                ["PATRONUS__HEALTH__PERSISTENCE__RAWSAMPLES"] = "true",
            }, "serve", "--config", config, "--data-dir", Path.Combine(_dir.Path, id), "--urls", urls[id]);
        }

        foreach (var (id, node) in _nodes)
        {
            await node.WaitReadyAsync(urls[id]);
        }

        await Poll.AssertAsync(async () => (await LeaseAsync(db)).Holder is not null && await SamplesAsync(db) > 0, s_timeout, "a leader writes samples");
        var (first, firstTerm, _) = await LeaseAsync(db);

        // kill -9 the leader: the lease runs out (≤ 2 s after its last renewal) and a follower's next
        // attempt (every 500 ms) takes it with the next term.
        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        _nodes[first!].Signal(SigKill);

        // Once the next term is seen, any write the dead leader had in flight has landed or rolled
        // back: it held the lease row (FOR SHARE) until its connection died, and the takeover's
        // update waited for it. Samples counted from then on are the new leader's.
        await Poll.AssertAsync(async () => (await LeaseAsync(db)).Term > firstTerm, s_timeout, "the next term after the kill");
        var baseline = await SamplesAsync(db);
        TimeSpan? firstWrite = null;
        await Poll.AssertAsync(async () =>
        {
            if (await SamplesAsync(db) > baseline)
            {
                firstWrite ??= sinceKill.Elapsed;
            }

            return firstWrite is not null;
        }, s_timeout, "the new leader writes");
        var (second, secondTerm, acquiredAt) = await LeaseAsync(db);
        var elected = DateTimeOffset.FromUnixTimeMilliseconds(acquiredAt) - killedAt;
        output.WriteLine($"kill -9 {first} (term {firstTerm}): {second} leads with term {secondTerm} after {elected.TotalMilliseconds:F0} ms (database clock), first sample written after {firstWrite!.Value.TotalMilliseconds:F0} ms");
        Assert.NotEqual(first, second);
        Assert.Equal(firstTerm + 1, secondTerm);
        Assert.True(firstWrite <= TimeSpan.FromSeconds(3), $"first leader write {firstWrite.Value.TotalMilliseconds:F0} ms after the kill");

        // SIGSTOP the new leader longer than its lease: the third node takes over; on SIGCONT the
        // stopped one finds its deadline passed, acts on nothing and reports itself a follower.
        Assert.NotNull(second);
        var third = urls.Keys.Single(k => k != first && k != second);
        _nodes[second].Signal(SigStop);
        var stoppedFor = Stopwatch.StartNew();
        await Poll.AssertAsync(async () => (await LeaseAsync(db)).Holder == third, s_timeout, $"{third} takes over from the stopped {second}");
        var (_, thirdTerm, _) = await LeaseAsync(db);
        output.WriteLine($"SIGSTOP {second}: {third} leads with term {thirdTerm} after {stoppedFor.ElapsedMilliseconds} ms");

        // Resume the stopped leader only once its successor has acted (written samples under its term).
        var atTakeover = await SamplesAsync(db);
        var ofSecondTerm = await ClusterLab.RowsOfTermAsync(db, secondTerm);
        Assert.True(ofSecondTerm > 0, $"rows stored under {second}'s term {secondTerm}: {ofSecondTerm}");
        await Poll.AssertAsync(async () => await SamplesAsync(db) > atTakeover, s_timeout, $"{third} writes samples as leader");
        _nodes[second].Signal(SigCont);
        var resumed = Stopwatch.StartNew();

        await Poll.AssertAsync(async () => await MetricAsync(urls[second], "cluster_is_leader") == 0 &&
            await MetricAsync(urls[second], "cluster_current_term") == thirdTerm, s_timeout, $"{second} reports itself a follower of term {thirdTerm}");
        output.WriteLine($"SIGCONT {second}: a follower of term {thirdTerm} per its metrics after {resumed.ElapsedMilliseconds} ms (stopped {stoppedFor.ElapsedMilliseconds - resumed.ElapsedMilliseconds} ms)");
        Assert.Equal((third, thirdTerm), ((await LeaseAsync(db)).Holder, (await LeaseAsync(db)).Term));
        Assert.Equal(1, await MetricAsync(urls[third], "cluster_is_leader"));
        Assert.Equal(ofSecondTerm, await ClusterLab.RowsOfTermAsync(db, secondTerm)); // nothing it did after losing the lease is stored
        await Poll.AssertAsync(() => _nodes[second].Stdout.Contains("stepped down", StringComparison.Ordinal), s_timeout, $"{second} logs that it stepped down");
    }
}
