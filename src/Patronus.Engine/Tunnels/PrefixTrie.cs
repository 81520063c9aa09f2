namespace Patronus.Engine.Tunnels;

/// <summary>
/// Cryptokey routing's table (WireGuard whitepaper §2): longest-prefix match from an IPv4 or IPv6
/// address to a value (the peer), one binary trie per family. Built once from a configuration
/// snapshot and then only read, so readers on any thread need no lock; a new configuration builds
/// a new trie. A lookup walks at most 32 (IPv4) or 128 (IPv6) nodes and allocates nothing.
/// </summary>
/// <typeparam name="T">The value of a prefix.</typeparam>
public sealed class PrefixTrie<T>
    where T : class
{
    private readonly Node _v4 = new();
    private readonly Node _v6 = new();

    /// <summary>
    /// Adds <paramref name="prefix"/> → <paramref name="value"/>; the same prefix added again
    /// takes the later value (WireGuard moves an allowed IP to the last peer that claims it).
    /// </summary>
    public void Add(IpPrefix prefix, T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> bytes = stackalloc byte[16];
        if (!prefix.Address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("unsupported address", nameof(prefix));
        }

        var node = written == 4 ? _v4 : _v6;
        for (var bit = 0; bit < prefix.Length; bit++)
        {
            var index = Bit(bytes, bit);
            node = node.Children[index] ??= new Node();
        }

        node.Value = value;
    }

    /// <summary>
    /// The value of the longest prefix containing the address in <paramref name="address"/>
    /// (4 or 16 octets, network order); null when none does.
    /// </summary>
    public T? Lookup(ReadOnlySpan<byte> address)
    {
        var node = address.Length switch
        {
            4 => _v4,
            16 => _v6,
            _ => null,
        };
        T? best = null;
        for (var bit = 0; node is not null; bit++)
        {
            best = node.Value ?? best;
            if (bit == address.Length * 8)
            {
                break;
            }

            node = node.Children[Bit(address, bit)];
        }

        return best;
    }

    private static int Bit(ReadOnlySpan<byte> bytes, int bit) => (bytes[bit >> 3] >> (7 - (bit & 7))) & 1;

    private sealed class Node
    {
        public Node?[] Children { get; } = new Node?[2];

        public T? Value { get; set; }
    }
}
