namespace Patronus.Engine.Storage;

/// <summary>Outcome of a store write.</summary>
public enum StoreStatus
{
    Ok,
    NotFound,

    /// <summary>The id, name or claimed prefix is already taken.</summary>
    Conflict,

    /// <summary>The item comes from config or the quickstart and cannot be changed through the API.</summary>
    ReadOnly,

    /// <summary>Another item still refers to this one.</summary>
    InUse,

    /// <summary>The item refers to something that does not exist.</summary>
    MissingReference,

    /// <summary>
    /// A leader-only write refused because this instance is not the leader, or its lease term is no
    /// longer the current one (docs/ha.md, fencing): nothing was written, and retrying cannot help.
    /// </summary>
    Fenced,
}

/// <summary>
/// A store write's outcome with a message that names what was wrong. Every feature's storage port
/// (<see cref="Paths.ITopologyStore"/>, <see cref="Health.IHealthHistoryStore"/>,
/// <see cref="Failover.IFailoverStore"/>) reports expected failures — a missing row, a duplicate id,
/// a read-only item, a dangling reference — as this value; an exception means the store itself failed.
/// </summary>
public readonly record struct StoreResult(StoreStatus Status, string? Message = null)
{
    public static StoreResult Ok { get; } = new(StoreStatus.Ok);

    public bool Succeeded => Status == StoreStatus.Ok;
}
