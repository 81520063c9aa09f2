using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Bfd;

/// <summary>
/// Two Patronus nodes authenticate their BFD sessions (RFC 5880 §6.7; FRR 8.4 has no BFD
/// authentication, so the peer is Patronus). One veth, six address pairs, one session per type
/// and one whose keys differ:
/// <code>
///   a (serve) 10.240.1.1x/24 ──── 10.240.1.2x/24 b (serve)      x = 1…6
/// </code>
/// </summary>
public sealed class BfdAuthLabTests(ITestOutputHelper output)
{
    private static readonly (string Type, string SecretA, string SecretB)[] s_sessions =
    [
        ("simple-password", "correct horse", "correct horse"),
        ("keyed-md5", "md5-secret-16byt", "md5-secret-16byt"),
        ("meticulous-keyed-md5", "another md5 key", "another md5 key"),
        ("keyed-sha1", "sha1 keys go to 20 b", "sha1 keys go to 20 b"),
        ("meticulous-keyed-sha1", "meticulous sha1", "meticulous sha1"),
        ("keyed-sha1", "the right key", "the wrong key"),
    ];

    private static object Config(char self, char peer, Func<(string Type, string SecretA, string SecretB), string> secret) => new
    {
        Sites = new[] { new { Id = "s" } },
        Links = s_sessions.Select((_, i) => new { Id = $"l{i + 1}", Site = "s", SourceAddress = Address(self, i) }).ToArray(),
        Paths = s_sessions.Select((s, i) => new
        {
            Id = $"p{i + 1}",
            Link = $"l{i + 1}",
            Probe = "icmp",
            Targets = new[] { Address(peer, i) },
            Bfd = new
            {
                Peer = Address(peer, i),
                DesiredMinTxMs = 50,
                RequiredMinRxMs = 50,
                Auth = new { Type = s.Type, KeyId = i + 1, Secret = secret(s) },
            },
        }).ToArray(),
    };

    private static string Address(char side, int i) => $"10.240.1.{(side == 'a' ? 11 : 21) + i}";

    [LabFact]
    public async Task TwoNodes_EachAuthTypeUp_WrongKeyStaysDownAndCountsFailures()
    {
        await using var lab = NetLab.Create(output);
        var a = await lab.AddNamespaceAsync("a");
        var b = await lab.AddNamespaceAsync("b");
        await lab.AddVethAsync(a, "wan1", $"{Address('a', 0)}/24", b, "wan1", $"{Address('b', 0)}/24");
        for (var i = 1; i < s_sessions.Length; i++)
        {
            await lab.MustExecAsync(a, "ip", "addr", "add", $"{Address('a', i)}/24", "dev", "wan1");
            await lab.MustExecAsync(b, "ip", "addr", "add", $"{Address('b', i)}/24", "dev", "wan1");
        }

        var nodeA = await PatronusEdge.StartAsync(lab, a, Config('a', 'b', s => s.SecretA));
        var nodeB = await PatronusEdge.StartAsync(lab, b, Config('b', 'a', s => s.SecretB));

        foreach (var node in new[] { nodeA, nodeB })
        {
            for (var i = 0; i < 5; i++)
            {
                var session = await node.WaitForAsync(BfdJson.SessionPath($"p{i + 1}"), s => BfdJson.State(s) == "up",
                    TimeSpan.FromSeconds(5), $"{node.Namespace} p{i + 1} ({s_sessions[i].Type}) up");
                Assert.Equal(s_sessions[i].Type, session.GetProperty("authentication").GetString());
                Assert.Equal(0, BfdJson.Packets(session, "auth_failures"));
            }
        }

        // The mismatched keys: packets arrive, fail verification, are counted, and the session never comes up.
        foreach (var node in new[] { nodeA, nodeB })
        {
            var wrong = await node.WaitForAsync(BfdJson.SessionPath("p6"), s => BfdJson.Packets(s, "auth_failures") >= 2,
                TimeSpan.FromSeconds(5), $"{node.Namespace} p6 counting authentication failures");
            Assert.Equal("down", BfdJson.State(wrong));
            Assert.Equal(0, BfdJson.Packets(wrong, "received"));
            output.WriteLine($"{node.Namespace} p6: {BfdJson.Packets(wrong, "auth_failures")} authentication failures, state {BfdJson.State(wrong)}");
        }

        Assert.DoesNotContain("the right key", nodeA.Process.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("the wrong key", nodeB.Process.Stdout, StringComparison.Ordinal);
    }
}
