using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Patronus.Server.Api;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>
/// Hostile inputs get a 4xx with problem details naming what was wrong, never a 500 and never an
/// empty body (issue 13.9/13.10): out-of-range numbers in every REST body, bodies over the size
/// limit however they are framed, media types that only look like JSON, over-long request targets.
/// </summary>
public sealed class RequestLimitsTests
{
    private const string Paths = "/api/v1/paths";
    private const string Policies = "/api/v1/failover/policies";
    private const string NewPath = """ "id":"p-new","link_id":"demo-wan1","targets":["127.0.0.1"] """;
    private const string Bfd = """ "peer":"127.0.0.1" """;
    private const string NewPolicy = """ "name":"pol","primary_path_id":"demo-wan1-loopback","backup_path_ids":["demo-wan2-loopback"] """;

    private static string PathWith(string fields) => "{" + NewPath + "," + fields + "}";

    private static string BfdWith(string fields) => PathWith("\"bfd\":{" + Bfd + "," + fields + "}");

    private static string PolicyWith(string fields) => "{" + NewPolicy + (fields.Length > 0 ? "," + fields : "") + "}";

    /// <summary>Every numeric field of every REST body, each with values out of its range or type.</summary>
    public static TheoryData<string, string, string> OutOfRange => new()
    {
        { "/api/v1/links", """{"id":"l-new","site_id":"demo","cost":1e20}""", "cost" },
        { "/api/v1/links", """{"id":"l-new","site_id":"demo","cost":-1}""", "cost" },
        { "/api/v1/links", """{"id":"l-new","site_id":"demo","cost":2147483648}""", "cost" },
        { "/api/v1/links", """{"id":"l-new","site_id":"demo","cost":1.5}""", "cost" },
        { Paths, PathWith("\"quorum\":1e20"), "quorum" },
        { Paths, PathWith("\"quorum\":0"), "quorum" },
        { Paths, PathWith("\"thresholds\":{\"latency_ms\":1e308}"), "thresholds.latency_ms" },
        { Paths, PathWith("\"thresholds\":{\"latency_ms\":-1}"), "thresholds.latency_ms" },
        { Paths, PathWith("\"thresholds\":{\"loss_pct\":1e20}"), "thresholds.loss_pct" },
        { Paths, PathWith("\"thresholds\":{\"jitter_ms\":0}"), "thresholds.jitter_ms" },
        { Paths, BfdWith("\"desired_min_tx_ms\":1e20"), "bfd.desired_min_tx_ms" },
        { Paths, BfdWith("\"desired_min_tx_ms\":0"), "bfd.desired_min_tx_ms" },
        { Paths, BfdWith("\"required_min_rx_ms\":-5"), "bfd.required_min_rx_ms" },
        { Paths, BfdWith("\"detect_multiplier\":256"), "bfd.detect_multiplier" },
        { Paths, BfdWith("\"min_ttl\":0"), "bfd.min_ttl" },
        { Paths, BfdWith("\"auth\":{\"type\":\"keyed-sha1\",\"key_id\":-1,\"secret\":\"s\"}"), "bfd.auth.key_id" },
        { Policies, PolicyWith("\"failback_delay_secs\":1e20"), "failback_delay_secs" },
        { Policies, PolicyWith("\"failback_delay_secs\":-1e20"), "failback_delay_secs" },
        { Policies, PolicyWith("\"failback_delay_secs\":1e308"), "failback_delay_secs" },
        { Policies, PolicyWith("\"failback_delay_secs\":-1"), "failback_delay_secs" },
        { Policies, PolicyWith("\"failover_threshold\":1e20"), "failover_threshold" },
        { Policies, PolicyWith("\"failback_threshold\":-1e300"), "failback_threshold" },
    };

    [Fact]
    public async Task Post_NumberOutOfRange_400NamingFieldForEveryField()
    {
        await using var server = await RunningServer.StartAsync();
        var failures = new List<string>();
        foreach (var row in OutOfRange)
        {
            var (url, body, field) = ((string)row[0], (string)row[1], (string)row[2]);
            using var response = await server.PostJsonAsync(url, body);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest ||
                !JsonDocument.Parse(text).RootElement.TryGetProperty("errors", out var errors) || !errors.TryGetProperty(field, out _))
            {
                failures.Add($"{url} {body}: {(int)response.StatusCode} {text}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Put_FailbackDelayOverflow_400NamingField()
    {
        await using var server = await RunningServer.StartAsync();
        using var created = await server.PostJsonAsync(Policies, PolicyWith(""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policy_id").GetInt64();

        using var put = await server.PutJsonAsync($"{Policies}/{id}", PolicyWith("\"failback_delay_secs\":1e20"));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.True((await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("failback_delay_secs", out _));
    }

    [Theory]
    [InlineData(ApiJson.MaxBodyBytes + 1)]
    [InlineData(1024 * 1024)]
    public async Task Post_ChunkedBodyOverLimit_413ProblemDetails(int size)
    {
        await using var server = await RunningServer.StartAsync();
        // Valid JSON of the given size, sent without a Content-Length (chunked).
        var json = $$"""{"id":"big","description":"{{new string('d', size - 32)}}"}""";
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sites") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var sites = await server.Client.GetAsync("/api/v1/sites/big");
        Assert.Equal(HttpStatusCode.NotFound, sites.StatusCode);
    }

    /// <summary>REST reads its body itself; any other reader (here GraphQL's) meets the exception handler, which answers with Kestrel's status.</summary>
    [Theory]
    [InlineData("/api/v1/sites")]
    [InlineData("/graphql")]
    public async Task Post_MalformedChunkedBody_400ProblemDetails(string url)
    {
        await using var server = await RunningServer.StartAsync();
        var token = server.Client.DefaultRequestHeaders.Authorization!.Parameter;
        var request = $"POST {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"id\"\r\nzz\r\n";

        var (status, headers, body) = await RawAsync(server, request);

        Assert.Equal(400, status);
        Assert.Contains("application/problem+json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":400", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/jsonp", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json-patch+json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/jsonx; charset=utf-8", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", HttpStatusCode.Created)]
    [InlineData("application/json; charset=utf-8", HttpStatusCode.Created)]
    [InlineData("Application/JSON;charset=UTF-8", HttpStatusCode.Created)]
    public async Task Post_ContentType_OnlyApplicationJsonAccepted(string mediaType, HttpStatusCode expected)
    {
        await using var server = await RunningServer.StartAsync();
        using var content = new StringContent("""{"id":"s-new"}""");
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", mediaType);

        using var response = await server.Client.PostAsync("/api/v1/sites", content);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.UnsupportedMediaType)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Get_TargetOverLimit_414ProblemDetails()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.Client.GetAsync("/api/v1/sites/" + new string('a', 9_000));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(414, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/api/v1/paths/demo-wan1-loopback/health/history?until=0001-01-01T00:00:00Z")]
    [InlineData("/api/v1/paths/demo-wan1-loopback/health/history?since=0001-01-01T00:00:00Z&until=9999-12-31T23:59:59Z")]
    [InlineData("/api/v1/paths/demo-wan1-loopback/health/history?since=9999-12-31T23:59:59Z")]
    [InlineData("/api/v1/paths/demo-wan1-loopback/stats?period=custom&since=0001-01-01T00:00:00Z&until=0001-01-01T00:01:00Z")]
    [InlineData("/api/v1/paths/demo-wan1-loopback/stats?period=custom&since=9999-12-31T23:58:00Z&until=9999-12-31T23:59:59Z")]
    [InlineData("/api/v1/metrics/failovers?since=0001-01-01T00:00:00Z&limit=99999999999")]
    [InlineData("/api/v1/metrics/failovers?since=9999-12-31T23:59:59Z")]
    [InlineData("/api/v1/audit?since=0001-01-01T00:00:00Z&limit=99999999999")]
    [InlineData("/api/v1/audit?limit=-1")]
    [InlineData("/api/v1/metrics/export/json?since=0001-01-01T00:00:00Z")]
    public async Task Get_ExtremeQueryValues_NeverServerError(string url)
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.Client.GetAsync(url);

        Assert.True((int)response.StatusCode < 500, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        if ((int)response.StatusCode >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>What Kestrel refuses before any middleware (issue 13.10) still comes with problem details, and the connection is then closed.</summary>
    [Theory]
    [InlineData("GET /api/v1/sites/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "NUL")]
    [InlineData("GARBAGE\r\n\r\n", 400, "malformed")]
    [InlineData("GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "malformed")]
    [InlineData("GET /LONG HTTP/1.1\r\nHost: x\r\n\r\n", 414, "32768")]
    [InlineData("GET /health/live HTTP/1.1\r\nHost: x\r\nHEADERS\r\n", 431, "32768")]
    public async Task Raw_RefusedByKestrel_ProblemDetails(string request, int status, string fragment)
    {
        await using var server = await RunningServer.StartAsync();
        request = request
            .Replace("/LONG", "/" + new string('a', RequestLimits.KestrelMaxRequestLineBytes + 100), StringComparison.Ordinal)
            .Replace("HEADERS\r\n", string.Concat(Enumerable.Range(0, 90).Select(i => $"X-{i}: {new string('v', 400)}\r\n")), StringComparison.Ordinal);

        var (code, head, body) = await RawAsync(server, request);

        Assert.Equal(status, code);
        Assert.Contains("Content-Type: application/problem+json", head, StringComparison.Ordinal);
        Assert.Contains("Connection: close", head, StringComparison.Ordinal);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Contains(fragment, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, bool> Writes => new()
    {
        { "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nDate: Fri, 04 Dec 2026 20:57:13 GMT\r\nServer: Kestrel\r\n\r\n", true },
        { "HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\nConnection: close\r\nServer: Kestrel\r\n\r\n", true },
        { "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", true },
        { "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nServer: Kestrel\r\n\r\n", false },                  // keep-alive: not Kestrel's reject
        { "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false },                  // another status
        { "HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\n", false },               // has a body
        { "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", false }, // more than one head
        { "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false },
        { "{\"status\":400}", false },
        { "", false },
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public void Rewrite_OnlyKestrelsBodilessReject(string written, bool rewritten)
    {
        var result = KestrelRejections.Rewrite(Encoding.ASCII.GetBytes(written));

        Assert.Equal(rewritten, result is not null);
        if (result is not null)
        {
            var text = Encoding.UTF8.GetString(result);
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var body = text[(split + 4)..];
            Assert.Contains($"\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n", text[..split], StringComparison.Ordinal);
            Assert.Equal(int.Parse(written[9..12], System.Globalization.CultureInfo.InvariantCulture), JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
            Assert.StartsWith(written[..written.IndexOf("\r\n", StringComparison.Ordinal)], text, StringComparison.Ordinal);
        }
    }

    /// <summary>Sends raw bytes (what HttpClient will not send) and reads the whole answer.</summary>
    internal static async Task<(int Status, string Headers, string Body)> RawAsync(RunningServer server, string request)
    {
        var uri = server.Client.BaseAddress!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                reader.Write(buffer, 0, read);
                if (Complete(reader.ToArray()))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // the server may reset the connection after answering
        }

        var text = Encoding.UTF8.GetString(reader.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no complete answer: '{text}'");
        var head = text[..split];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, head, text[(split + 4)..]);
    }

    /// <summary>True once the head and a Content-Length body (or a last chunk) have arrived.</summary>
    private static bool Complete(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var head = text[..split];
        var match = System.Text.RegularExpressions.Regex.Match(head, @"Content-Length:\s*(\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return match.Success
            ? Encoding.UTF8.GetByteCount(text[(split + 4)..]) >= int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }
}
