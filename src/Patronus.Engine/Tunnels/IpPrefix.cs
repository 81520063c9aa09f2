using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Tunnels;

/// <summary>An IPv4 or IPv6 prefix (address/length) with the host bits cleared.</summary>
/// <param name="Address">The network address.</param>
/// <param name="Length">The prefix length: 0–32 for IPv4, 0–128 for IPv6.</param>
public readonly record struct IpPrefix(IPAddress Address, int Length)
{
    /// <summary>
    /// Parses <c>ADDR/LEN</c> (a bare address is a host prefix); host bits are cleared. False on a
    /// malformed address or length, with <paramref name="error"/> saying which.
    /// </summary>
    public static bool TryParse(string? text, out IpPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "empty prefix";
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            error = $"'{text}' is not ADDR/LEN with an IPv4 or IPv6 address";
            return false;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length) || length > max))
        {
            error = $"'{text}': the prefix length must be 0–{max}";
            return false;
        }

        prefix = new IpPrefix(Mask(address, length), length);
        error = null;
        return true;
    }

    /// <summary>ADDR/LEN.</summary>
    public override string ToString() => $"{Address}/{Length}";

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }
}
