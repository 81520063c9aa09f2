namespace Patronus.Persistence.Idempotency;

/// <summary>
/// The keyed REST write running in this async flow (docs/ha.md, safe retries): set by the API's
/// idempotency middleware around a claimed request, it lets the store keep the request's answer in
/// the write's own transaction. The endpoint says how its answer is made from the item written
/// (<see cref="AnswerWith"/>); the store, just before it commits the write, makes the answer from the
/// item as written and completes the claimed key in the same transaction. So a write is committed if
/// and only if its answer is stored: a node that dies after the commit leaves a key whose retry
/// replays the answer, not one that runs the write again (a create would answer 409).
/// </summary>
public sealed class IdempotentWrite
{
    private static readonly AsyncLocal<IdempotentWrite?> s_current = new();

    private Func<object?, StoredResponse>? _answer;
    private StoredResponse? _stored;

    public IdempotentWrite(IdempotencyKey key, string fingerprint, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        Key = key;
        Fingerprint = fingerprint;
        ExpiresAt = expiresAt;
    }

    /// <summary>The keyed write of this async flow; null outside one (GraphQL, internal writes, requests without a key).</summary>
    public static IdempotentWrite? Current => s_current.Value;

    public IdempotencyKey Key { get; }

    public string Fingerprint { get; }

    /// <summary>Until when the stored answer is kept.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The answer committed with the write, once it has been; the endpoint sends exactly this.</summary>
    public StoredResponse? Stored => Volatile.Read(ref _stored);

    /// <summary>Makes <paramref name="write"/> the current keyed write until the returned scope is disposed.</summary>
    public static IDisposable Enter(IdempotentWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var previous = s_current.Value;
        s_current.Value = write;
        return new Scope(previous);
    }

    /// <summary>
    /// How the endpoint answers once its write succeeds, from the item the store wrote (null for a
    /// delete). Without it the store keeps nothing in the write's transaction and the middleware
    /// stores the answer after the request, as for a refused one.
    /// </summary>
    public void AnswerWith(Func<object?, StoredResponse> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        _answer = answer;
    }

    /// <summary>The answer to keep with a write of <paramref name="written"/>; null when the endpoint gave no way to make one.</summary>
    internal StoredResponse? Prepare(object? written) => _answer?.Invoke(written);

    /// <summary>The write and its answer committed together.</summary>
    internal void Committed(StoredResponse answer) => Volatile.Write(ref _stored, answer);

    private sealed class Scope(IdempotentWrite? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }
}
