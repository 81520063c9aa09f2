using System.CommandLine;
using Patronus.Engine.Tunnels;
using Patronus.Server.Hosting;

namespace Patronus.Server.Cli;

/// <summary>
/// <c>patronus tunnel genkey</c> and <c>patronus tunnel pubkey</c>: WireGuard-compatible keys
/// (base64, the form of <c>wg genkey</c>/<c>wg pubkey</c>). <c>pubkey</c> prints the public key of
/// the private key <c>serve</c> would use: <c>Tunnels:PrivateKey</c> when the configuration
/// (<c>--config</c>, <c>PATRONUS__</c> variables) sets it, else the key file
/// (<c>Tunnels:PrivateKeyFile</c>, default <c>tunnel.key</c> in the data directory; created, mode
/// 0600, on first use); or with <c>--stdin</c> of a private key read from standard input, as
/// <c>wg pubkey</c> does. A private key is only ever printed by <c>genkey</c>. Exit codes: 0 ok, 1
/// the key file cannot be read or written, 2 not a key on standard input or an invalid configuration.
/// </summary>
public static class TunnelCommand
{
    public static Command Create()
    {
        var genkey = new Command("genkey", "Print a new random private key (base64, like 'wg genkey').");
        genkey.SetAction(_ =>
        {
            Console.WriteLine(TunnelKeys.GeneratePrivateKey());
            return PatronusCli.Ok;
        });

        var config = PatronusCli.ConfigOption();
        var dataDir = PatronusCli.DataDirOption();
        var stdin = new Option<bool>("--stdin") { Description = "Read a private key from standard input instead (like 'wg pubkey')." };
        var pubkey = new Command(
            "pubkey",
            $"Print the public key of this node's tunnel key (Tunnels:PrivateKey from the configuration, else {TunnelKeys.PrivateKeyFileName} in the data dir, created on first use).")
        {
            config, dataDir, stdin,
        };
        pubkey.SetAction(parse => parse.GetValue(stdin) ? PublicKeyFromStdin() : PublicKeyOfNode(parse.GetValue(config), parse.GetValue(dataDir)));

        return new Command("tunnel", "WireGuard-compatible tunnel keys.") { genkey, pubkey };
    }

    private static int PublicKeyFromStdin()
    {
        if (!TunnelKeys.TryPublicKey(Console.In.ReadToEnd(), out var publicKey))
        {
            Console.Error.WriteLine("patronus: standard input is not a base64 private key (44 characters)");
            return PatronusCli.BadConfig;
        }

        Console.WriteLine(publicKey);
        return PatronusCli.Ok;
    }

    private static int PublicKeyOfNode(string? configFile, string? dataDir)
    {
        // The same configuration serve reads (file, environment, flags), validated the same way.
        if (PatronusCli.LoadOrReport(new CommandLineOverrides(configFile, dataDir, null, null)) is not { } loaded)
        {
            return PatronusCli.BadConfig;
        }

        var tunnels = loaded.Configuration.GetSection(TunnelOptions.Section);
        if (tunnels[nameof(TunnelOptions.PrivateKey)] is { } configured)
        {
            if (!TunnelKeys.TryPublicKey(configured, out var publicKey))
            {
                Console.Error.WriteLine($"patronus: {TunnelOptions.Section}:{nameof(TunnelOptions.PrivateKey)} is not a base64 private key (44 characters)");
                return PatronusCli.BadConfig;
            }

            Console.WriteLine(publicKey);
            return PatronusCli.Ok;
        }

        var file = Path.GetFullPath(tunnels[nameof(TunnelOptions.PrivateKeyFile)] is { Length: > 0 } keyFile
            ? keyFile
            : Path.Combine(loaded.DataDir, TunnelKeys.PrivateKeyFileName));
        try
        {
            var key = TunnelKeys.ReadOrCreatePrivateKeyFile(file, out var created);
            Console.WriteLine(TunnelKeys.PublicKeyOf(key));
            if (created)
            {
                Console.Error.WriteLine($"patronus: created {file} (mode 0600)");
            }

            return PatronusCli.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"patronus: {ex.Message}");
            return PatronusCli.Failure;
        }
    }
}
