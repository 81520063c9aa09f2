namespace Patronus.Engine.Bfd;

/// <summary>
/// One configured authentication key (RFC 5880 §6.7): a simple password (1–16 octets), a Keyed
/// MD5 key (1–16 octets) or a Keyed SHA1 key (1–20 octets), selected on the wire by
/// <see cref="Id"/> (Auth Key ID). <see cref="ToString"/> never prints the secret.
/// </summary>
/// <param name="Id">Auth Key ID.</param>
/// <param name="Secret">The password or key octets.</param>
public readonly record struct BfdAuthKey(byte Id, ReadOnlyMemory<byte> Secret)
{
    public override string ToString() => $"BfdAuthKey {{ Id = {Id}, Secret = *** }}";
}
