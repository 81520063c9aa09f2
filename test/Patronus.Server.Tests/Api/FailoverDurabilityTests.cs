using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patronus.Engine.Failover;
using Patronus.Persistence;
using Patronus.Server.Hosting;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>
/// An event the API acknowledges is in the database before the answer (issue 13.12): a crash right
/// after a policy toggle's 200 must not lose the toggle's event.
/// </summary>
public sealed class FailoverDurabilityTests
{
    private const string Policy = """ "name":"durable","primary_path_id":"demo-wan1-loopback","backup_path_ids":["demo-wan2-loopback"] """;

    [Fact]
    public async Task PolicyToggle_EventInDatabaseWhenTheAnswerArrives()
    {
        await using var server = await RunningServer.StartAsync();
        using var created = await server.PostJsonAsync("/api/v1/failover/policies", "{" + Policy + "}");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policy_id").GetInt64();
        // A second store on the same file: what it reads has been committed, not just queued.
        await using var file = SqlStore.Create(server.Services.GetRequiredService<PatronusConfiguration>().Store, TimeProvider.System);

        for (var toggle = 1; toggle <= 10; toggle++)
        {
            var enabled = toggle % 2 == 0;
            using var put = await server.PutJsonAsync($"/api/v1/failover/policies/{id}", "{" + Policy + ",\"enabled\":" + (enabled ? "true" : "false") + "}");
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

            var events = await file.GetFailoverEventsAsync(id, DateTimeOffset.UnixEpoch, 100);

            var toggles = events.Where(e => e.Event.Type is FailoverEventType.PolicyEnabled or FailoverEventType.PolicyDisabled).ToList();
            Assert.True(toggles.Count == toggle, $"after toggle {toggle}: {toggles.Count} toggle events stored");
            Assert.Equal(enabled ? FailoverEventType.PolicyEnabled : FailoverEventType.PolicyDisabled, toggles[0].Event.Type);
        }
    }
}
