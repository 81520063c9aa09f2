using System.Collections.Immutable;
using System.Globalization;
using Patronus.Engine.Loops;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Failover;

/// <summary>The route side of the failover loop: the planned table published, then the kernel brought in line.</summary>
public sealed partial class FailoverService
{
    /// <summary>
    /// Publishes the route table the active paths imply (only when an active path, a policy or the
    /// topology changed) and brings the kernel in line; returns the retry time after a failure.
    /// </summary>
    private TimeSpan? ApplyRoutes(LoopTime now)
    {
        if (_routesDirty)
        {
            _routesDirty = false;
            // Class policies steer their class in the tunnels only: no kernel route, and a table of their own.
            var classRoutes = FailoverRoutes.PlanClasses(_states.Values.Where(r => r.Policy.Class is not null).Select(r => (r.Policy, r.State.ActivePathId)), _topology.Current);
            var classesChanged = !classRoutes.SameAs(ClassRoutes);
            if (classesChanged)
            {
                Volatile.Write(ref _classRoutes, classRoutes);
            }

            var routes = FailoverRoutes.Plan(_states.Values.Where(r => r.Policy.Class is null).Select(r => (r.Policy, r.State.ActivePathId)), _topology.Current);
            if (FailoverRoutes.Same(Routes.Current, routes))
            {
                if (classesChanged)
                {
                    Routes.Changed.Notify(); // the tunnels' steering reads both
                }
            }
            else
            {
                var started = Time.GetTimestamp();
                Routes.Swap(new RouteTable(routes));
                _metrics.RouteTableSwapped(Time.GetElapsedTime(started));
                _kernelRoutes = new RouteTable(FailoverRoutes.ForKernel(routes, _carried, out var carried));
                foreach (var (route, carrier) in carried)
                {
                    if (_carriedLogged.Add(route.Prefix) && _states.TryGetValue(long.Parse(route.PolicyId, CultureInfo.InvariantCulture), out var owner))
                    {
                        LogCarried(_logger, owner.Policy.Name, route.Prefix, carrier);
                    }
                }

                _kernelPending = true;
            }
        }

        if (_kernel is null || !_kernelPending || _leadership is { IsLeader: false })
        {
            return null; // a follower leaves the kernel alone; election sets _kernelPending again
        }

        if (_routeRetryAt is { } retry && now.Elapsed < retry)
        {
            return retry;
        }

        var failures = _kernel.Sync(_kernelRoutes);
        Volatile.Write(ref _installed, _kernel.Installed.ToImmutableDictionary());
        if (failures.Count == 0)
        {
            _kernelPending = false;
            _routeRetryAt = null;
            foreach (var runtime in _states.Values)
            {
                runtime.LastRouteError = null;
            }

            return null;
        }

        foreach (var (route, error) in failures)
        {
            var policyId = long.Parse(route.PolicyId, CultureInfo.InvariantCulture);
            if (_states.TryGetValue(policyId, out var runtime) && runtime.LastRouteError != error)
            {
                runtime.LastRouteError = error;
                Emit(new FailoverEvent(policyId, FailoverEventType.RouteApplyFailed, null, route.PathId, error, now.Wall), runtime.Policy, Inputs());
            }
        }

        _routeRetryAt = LoopTime.Add(now.Elapsed, _options.RouteRetry);
        return _routeRetryAt;
    }
}
