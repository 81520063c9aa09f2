using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Patronus.Persistence.Security;
using Patronus.Server.Hosting;
using Patronus.Server.Security;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.TestSupport;

/// <summary>
/// A real <c>serve</c> application on a real loopback socket (port 0), with a temp data dir. Once
/// ready, an admin user exists and <see cref="Client"/> sends its access token; <see cref="Anonymous"/>
/// sends none.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string AdminName = "admin";

    /// <summary>Satisfies the password policy; used for every user the tests create.</summary>
    public const string Password = "Test-Passw0rd-2026";

    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];

    private RunningServer(WebApplication app, TempDir dir, HttpClient client)
    {
        _app = app;
        Dir = dir;
        Client = client;
    }

    public TempDir Dir { get; }

    public HttpClient Client { get; }

    /// <summary>A client without credentials.</summary>
    public HttpClient Anonymous => NewClient(null);

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts with the given config file contents (null: quickstart) and waits until ready; with
    /// <paramref name="createAdmin"/> false no user exists and <see cref="Client"/> sends no token.
    /// </summary>
    public static async Task<RunningServer> StartAsync(string? configJson = null, Dictionary<string, string?>? environment = null, string? dataDir = null,
        bool createAdmin = true, Action<ILoggingBuilder>? logging = null)
    {
        var dir = new TempDir();
        string? file = null;
        if (configJson is not null)
        {
            file = Path.Combine(dir.Path, "patronus.json");
            await File.WriteAllTextAsync(file, configJson);
        }

        environment = new Dictionary<string, string?>(environment ?? [], StringComparer.OrdinalIgnoreCase);
        if (!environment.ContainsKey("PATRONUS__QUICKSTART__REFLECTORPORT"))
        {
            // Each quickstart instance gets its own reflector port so parallel tests do not collide.
            using var probe = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            environment["PATRONUS__QUICKSTART__REFLECTORPORT"] = ((System.Net.IPEndPoint)probe.Client.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Traffic accounting would create an nftables table (and turn conntrack on) in the host's
        // root namespace when the tests run as root: off unless a test asks for it.
        environment.TryAdd("PATRONUS__TRAFFIC__ENABLED", "false");
        var config = PatronusConfiguration.Load(
            new CommandLineOverrides(file, dataDir ?? Path.Combine(dir.Path, "data"), "http://127.0.0.1:0"),
            environment, out var errors);
        Assert.True(config is not null, string.Join("\n", errors));
        var app = ServerApp.Build(config!, logging: l =>
        {
            l.SetMinimumLevel(LogLevel.Warning);
            logging?.Invoke(l);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        var server = new RunningServer(app, dir, client);
        await server.WaitReadyAsync();
        if (!createAdmin)
        {
            return server;
        }

        var token = await server.CreateUserAndLoginAsync(AdminName, UserRole.Admin);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return server;
    }

    /// <summary>Creates the user (unless it exists) with <see cref="Password"/> and returns an access token.</summary>
    public async Task<string> CreateUserAndLoginAsync(string name, UserRole role)
    {
        var created = await Services.GetRequiredService<UserAccounts>().AddAsync(name, role, Password, CancellationToken.None);
        Assert.True(created.Succeeded || created.Status == AccountStatus.Conflict, created.Message);
        var tokens = await LoginAsync(name, Password);
        return tokens.GetProperty("access_token").GetString()!;
    }

    /// <summary>POST /api/v1/auth/login; fails the test unless it succeeds.</summary>
    public async Task<System.Text.Json.JsonElement> LoginAsync(string name, string password)
    {
        using var anonymous = new HttpClient { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = name, password });
        Assert.True(response.IsSuccessStatusCode, $"login {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    }

    /// <summary>A client sending <paramref name="accessToken"/> (none when null); disposed with the server.</summary>
    public HttpClient NewClient(string? accessToken)
    {
        var client = new HttpClient { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>A client logged in as a new user with <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientAsAsync(string name, UserRole role) => NewClient(await CreateUserAndLoginAsync(name, role));

    private async Task WaitReadyAsync()
    {
        await Poll.AssertAsync(async () =>
        {
            using var response = await Client.GetAsync("/health/ready");
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "server ready");
    }

    public Task<HttpResponseMessage> PostJsonAsync(string url, string json) =>
        Client.PostAsync(url, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PutJsonAsync(string url, string json) =>
        Client.PutAsync(url, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public async Task<System.Text.Json.JsonElement> GetJsonAsync(string url)
    {
        using var response = await Client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    }

    /// <summary>
    /// Polls GET <paramref name="url"/> every 50 ms until it answers with a body for which
    /// <paramref name="condition"/> holds; fails with the last answer after <paramref name="timeout"/>.
    /// A 503 is an answer to wait through, not a failure: it says "not yet" (e.g. a BFD session the loop
    /// has not opened yet), and what the test waits for is the state after it. Any other error status fails at once.
    /// </summary>
    public async Task<System.Text.Json.JsonElement> WaitForJsonAsync(string url, Func<System.Text.Json.JsonElement, bool> condition, TimeSpan timeout)
    {
        System.Text.Json.JsonElement last = default;
        var lastAnswer = "none";
        var met = await Poll.UntilAsync(async () =>
        {
            using var response = await Client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            lastAnswer = $"{(int)response.StatusCode} {body}";
            if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
            {
                return false;
            }

            Assert.True(response.IsSuccessStatusCode, $"GET {url}: {lastAnswer}");
            last = System.Text.Json.JsonDocument.Parse(body).RootElement.Clone();
            return condition(last);
        }, timeout, TimeSpan.FromMilliseconds(50));
        Assert.True(met, $"GET {url}: condition not met within {timeout}: {lastAnswer}");
        return last;
    }

    /// <summary>Stops the application as a SIGTERM would (the host's graceful stop); dispose afterwards as usual.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("patronus-test-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a process under test may still hold a file for a moment
        }
    }
}
