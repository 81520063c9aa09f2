using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Routing.Kernel;

/// <summary>
/// Makes the kernel's routes (one rtm_protocol, <see cref="RouteMessage.Protocol"/> unless told, one table) equal to a
/// <see cref="RouteTable"/>: a changed or new prefix is replaced in one netlink request (never
/// deleted first, so traffic always has a route), a prefix no longer wanted is deleted. What the
/// kernel accepted is remembered in <see cref="Installed"/>, so the caller's view is the truth;
/// a refused request stays pending and is tried again on the next <see cref="Sync"/>.
/// The first <see cref="Sync"/> also sweeps the table of routes an earlier run left behind (a
/// crash, kill -9): of the kernel's routes with our protocol in our table, it deletes each whose
/// prefix is not in the table asked for, or is but with another metric; one whose prefix and
/// metric are wanted is left for the replace that follows, so a restart does not interrupt the
/// traffic it carries. Routes of other protocols and other tables are never touched (and a
/// delete names our protocol, which the kernel matches too). A sweep that fails is tried again
/// on the next <see cref="Sync"/>. Owned by one loop.
/// </summary>
public sealed class KernelRouteApplier : IRouteApplier, IDisposable
{
    private readonly Func<NetlinkRouteSocket> _open;
    private readonly int _table;
    private readonly int _metric;
    private readonly byte _protocol;
    private readonly Dictionary<IPNetwork, RouteEntry> _installed = [];
    private NetlinkRouteSocket? _socket;
    private bool _swept;

    /// <param name="table">Kernel routing table the routes go into.</param>
    /// <param name="metric">Their metric (priority).</param>
    /// <param name="open">Opens the rtnetlink socket (a test opens it in a namespace).</param>
    /// <param name="protocol">Their rtm_protocol, which marks them as this applier's for the sweep and for deletes.</param>
    public KernelRouteApplier(int table, int metric, Func<NetlinkRouteSocket>? open = null, byte protocol = RouteMessage.Protocol)
    {
        _table = table;
        _metric = metric;
        _protocol = protocol;
        _open = open ?? (() => NetlinkRouteSocket.Open());
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<IPNetwork, RouteEntry> Installed => _installed;

    /// <summary>Routes of an earlier run the first <see cref="Sync"/> deleted.</summary>
    public int Swept { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyList<(RouteEntry Route, string Error)> Sync(RouteTable desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var failures = new List<(RouteEntry, string)>();
        NetlinkRouteSocket socket;
        try
        {
            socket = _socket ??= _open();
        }
#pragma warning disable CA1031 // any failure to open is reported per route and retried
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var error = $"cannot open rtnetlink: {ex.Message} (kernel routes need Linux and CAP_NET_ADMIN)";
            return desired.Routes.Where(r => !Same(_installed.GetValueOrDefault(r.Prefix), r)).Select(r => (r, error)).ToList();
        }

        var wanted = desired.Routes.ToDictionary(r => r.Prefix);
        if (!_swept)
        {
            _swept = Sweep(socket, wanted);
        }

        foreach (var route in desired.Routes)
        {
            if (Same(_installed.GetValueOrDefault(route.Prefix), route))
            {
                continue;
            }

            var index = 0;
            if (route.Interface is { } name && (index = NetlinkRouteSocket.InterfaceIndex(name)) == 0)
            {
                failures.Add((route, $"interface {name} does not exist"));
                continue;
            }

            if (route.Gateway is null && index == 0)
            {
                failures.Add((route, $"link {route.LinkId} has neither a gateway nor an interface"));
                continue;
            }

            var errno = socket.Replace(route.Prefix, route.Gateway, index, _table, _metric, _protocol);
            if (errno == 0)
            {
                _installed[route.Prefix] = route;
            }
            else
            {
                failures.Add((route, $"the kernel refused {route.Prefix} via {route.Gateway?.ToString() ?? route.Interface}: {Describe(errno)}"));
            }
        }

        foreach (var (prefix, old) in _installed.Where(kv => !wanted.ContainsKey(kv.Key)).ToList())
        {
            var errno = socket.Delete(prefix, null, 0, _table, _metric, _protocol);
            if (errno is 0 or 3)
            {
                _installed.Remove(prefix); // ESRCH (3): already gone
            }
            else
            {
                failures.Add((old, $"the kernel refused to delete {prefix}: {Describe(errno)}"));
            }
        }

        return failures;
    }

    private bool Sweep(NetlinkRouteSocket socket, Dictionary<IPNetwork, RouteEntry> wanted)
    {
        var ours = new List<KernelRoute>();
        if (socket.Dump(AddressFamily.InterNetwork, _protocol, ours) != 0 ||
            socket.Dump(AddressFamily.InterNetworkV6, _protocol, ours) != 0)
        {
            return false;
        }

        foreach (var route in ours.Where(r => r.Table == _table))
        {
            if (wanted.ContainsKey(route.Prefix) && route.Metric == StoredMetric(route.Prefix))
            {
                continue;
            }

            var errno = socket.Delete(route.Prefix, null, 0, route.Table, route.Metric, _protocol);
            if (errno is not (0 or 3))
            {
                return false;
            }

            Swept++;
        }

        return true;
    }

    // IPv6 stores a route added with metric 0 with the user default, 1024 (IP6_RT_PRIO_USER).
    private int StoredMetric(IPNetwork prefix) =>
        _metric == 0 && prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 1024 : _metric;

    private static bool Same(RouteEntry? a, RouteEntry b) =>
        a is not null && Equals(a.Gateway, b.Gateway) && a.Interface == b.Interface;

    private static string Describe(int errno) => errno switch
    {
        1 => "EPERM (needs CAP_NET_ADMIN)",
        3 => "ESRCH (no such route)",
        11 => "no answer from the kernel",
        19 => "ENODEV (no such interface)",
        22 => "EINVAL",
        101 => "ENETUNREACH (gateway not reachable on that interface)",
        _ => $"errno {errno}",
    };

    public void Dispose() => _socket?.Dispose();
}
