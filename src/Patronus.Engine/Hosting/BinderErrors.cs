namespace Patronus.Engine.Hosting;

/// <summary>What a strict bind (<c>ErrorOnUnknownConfiguration</c>) says went wrong, in words that name the key.</summary>
public static class BinderErrors
{
    /// <summary>
    /// The innermost message of a binder failure. Inside a list of objects (<c>Tunnels:Peers</c>,
    /// <c>TrafficClasses:0:Match</c>) the binder wraps the useful message ("… not found on the
    /// instance of TunnelPeerOptions: 'Compresion'") in a generic one ("'ErrorOnUnknownConfiguration'
    /// was set … and binding has failed"), which names no key.
    /// </summary>
    public static string Message(InvalidOperationException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Exception inner = error;
        while (inner.InnerException is InvalidOperationException next)
        {
            inner = next;
        }

        return inner.Message;
    }
}
