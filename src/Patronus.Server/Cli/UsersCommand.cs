using System.CommandLine;
using Patronus.Persistence;
using Patronus.Server.Hosting;
using Patronus.Persistence.Security;
using Patronus.Server.Security;

namespace Patronus.Server.Cli;

/// <summary>
/// <c>patronus users add|list|passwd|disable|enable|role</c>: user accounts straight in the store
/// (migrated first, so a fresh data dir works), e.g. the first admin before anyone can log in.
/// Passwords come from stdin only (<c>--password-stdin</c>), never from arguments (visible in ps).
/// A change ends the user's sessions at once in the store; a running server notices within
/// <c>Auth:UserCacheDuration</c>.
/// </summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var users = new Command("users", "Manage users (roles: admin > operator > viewer).");
        users.Add(Add());
        users.Add(List());
        users.Add(Passwd());
        users.Add(Toggle("disable", "Disable a user and end all their sessions.", disabled: true));
        users.Add(Toggle("enable", "Enable a disabled user.", disabled: false));
        users.Add(SetRole());
        return users;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "The username." };
        var role = RoleOption();
        role.Required = true;
        var stdin = StdinOption();
        var command = WithStore(new Command("add", "Create a user; the password is read from stdin.") { name, role, stdin }, out var store);
        command.SetAction((parse, ct) => RunAsync(parse, store, async accounts =>
        {
            if (!UserRoles.TryParse(parse.GetValue(role), out var parsed))
            {
                return Fail(PatronusCli.BadConfig, $"--role: '{parse.GetValue(role)}' is not admin, operator or viewer");
            }

            if (ReadPassword(parse.GetValue(stdin)) is not { } password)
            {
                return PatronusCli.BadConfig;
            }

            var result = await accounts.AddAsync(parse.GetValue(name)!, parsed, password, ct).ConfigureAwait(false);
            return Report(result, $"user '{parse.GetValue(name)}' created with role {UserRoles.Name(parsed)}");
        }, ct));
        return command;
    }

    private static Command List()
    {
        var command = WithStore(new Command("list", "List users."), out var store);
        command.SetAction((parse, ct) => RunAsync(parse, store, async accounts =>
        {
            var all = await accounts.ListAsync(ct).ConfigureAwait(false);
            Console.WriteLine($"{"NAME",-24} {"ROLE",-9} {"STATUS",-9} CREATED");
            foreach (var u in all)
            {
                Console.WriteLine($"{u.Username,-24} {UserRoles.Name(u.Role),-9} {(u.Disabled ? "disabled" : "enabled"),-9} {u.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}");
            }

            return PatronusCli.Ok;
        }, ct));
        return command;
    }

    private static Command Passwd()
    {
        var name = new Argument<string>("NAME") { Description = "The username." };
        var stdin = StdinOption();
        var command = WithStore(new Command("passwd", "Set a user's password (read from stdin); ends all their sessions.") { name, stdin }, out var store);
        command.SetAction((parse, ct) => RunAsync(parse, store, async accounts =>
        {
            if (ReadPassword(parse.GetValue(stdin)) is not { } password)
            {
                return PatronusCli.BadConfig;
            }

            var result = await accounts.UpdateAsync(parse.GetValue(name)!, null, null, password, ct).ConfigureAwait(false);
            return Report(result, $"password of '{parse.GetValue(name)}' changed; their sessions have ended");
        }, ct));
        return command;
    }

    private static Command Toggle(string verb, string description, bool disabled)
    {
        var name = new Argument<string>("NAME") { Description = "The username." };
        var command = WithStore(new Command(verb, description) { name }, out var store);
        command.SetAction((parse, ct) => RunAsync(parse, store, async accounts =>
        {
            var result = await accounts.UpdateAsync(parse.GetValue(name)!, null, disabled, null, ct).ConfigureAwait(false);
            return Report(result, $"user '{parse.GetValue(name)}' {verb}d");
        }, ct));
        return command;
    }

    private static Command SetRole()
    {
        var name = new Argument<string>("NAME") { Description = "The username." };
        var role = new Argument<string>("ROLE") { Description = "admin, operator or viewer." };
        var command = WithStore(new Command("role", "Change a user's role; ends all their sessions.") { name, role }, out var store);
        command.SetAction((parse, ct) => RunAsync(parse, store, async accounts =>
        {
            if (!UserRoles.TryParse(parse.GetValue(role), out var parsed))
            {
                return Fail(PatronusCli.BadConfig, $"ROLE: '{parse.GetValue(role)}' is not admin, operator or viewer");
            }

            var result = await accounts.UpdateAsync(parse.GetValue(name)!, parsed, null, null, ct).ConfigureAwait(false);
            return Report(result, $"user '{parse.GetValue(name)}' now has role {UserRoles.Name(parsed)}");
        }, ct));
        return command;
    }

    private static Option<string> RoleOption() => new("--role") { Description = "admin, operator or viewer." };

    private static Option<bool> StdinOption() => new("--password-stdin") { Description = "Read the password from the first line of stdin (required)." };

    private sealed record StoreOptions(Option<string?> Config, Option<string?> DataDir, Option<string?> Store);

    private static Command WithStore(Command command, out StoreOptions options)
    {
        options = new StoreOptions(PatronusCli.ConfigOption(), PatronusCli.DataDirOption(), PatronusCli.StoreOption());
        command.Add(options.Config);
        command.Add(options.DataDir);
        command.Add(options.Store);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, StoreOptions options, Func<UserAccounts, Task<int>> action, CancellationToken ct)
    {
        var loaded = PatronusCli.LoadOrReport(new CommandLineOverrides(parse.GetValue(options.Config), parse.GetValue(options.DataDir), null, parse.GetValue(options.Store)));
        if (loaded is null)
        {
            return PatronusCli.BadConfig;
        }

        await using var store = SqlStore.Create(loaded.Store, TimeProvider.System);
        try
        {
            await store.MigrateAsync(ct).ConfigureAwait(false);
            return await action(new UserAccounts(store, TimeProvider.System)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // reported to the operator with the store named
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return Fail(PatronusCli.Failure, $"{store.Description}: {ex.Message}");
        }
    }

    private static string? ReadPassword(bool fromStdin)
    {
        if (!fromStdin)
        {
            Fail(PatronusCli.BadConfig, "give the password on stdin with --password-stdin (e.g. printf '%s\\n' \"$PW\" | patronus users …)");
            return null;
        }

        var line = Console.In.ReadLine();
        if (string.IsNullOrEmpty(line))
        {
            Fail(PatronusCli.BadConfig, "--password-stdin: stdin is empty");
            return null;
        }

        return line.TrimEnd('\r');
    }

    private static int Report(AccountResult result, string success)
    {
        if (result.Succeeded)
        {
            Console.WriteLine(success);
            return PatronusCli.Ok;
        }

        return Fail(result.Status == AccountStatus.Invalid ? PatronusCli.BadConfig : PatronusCli.Failure, result.Message ?? result.Status.ToString());
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"patronus: {message}");
        return code;
    }
}
