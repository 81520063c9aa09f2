using Microsoft.Data.Sqlite;
using Npgsql;

namespace Patronus.Persistence;

/// <summary>
/// Where the store lives, parsed from <c>--store</c> / <c>Store:ConnectionString</c>:
/// <list type="bullet">
/// <item>empty: the SQLite file <c>patronus.db</c> in the data directory (the default);</item>
/// <item><c>postgres://user:password@host:port/database</c> or <c>postgresql://…</c>: PostgreSQL;</item>
/// <item>an Npgsql keyword string (<c>Host=…;Database=…;Username=…</c>): PostgreSQL;</item>
/// <item><c>sqlite:PATH</c> or a path ending in <c>.db</c>/<c>.sqlite</c>: that SQLite file.</item>
/// </list>
/// </summary>
public sealed record StoreLocation(StoreProvider Provider, string ConnectionString, string Description)
{
    /// <summary>File name of the embedded store inside the data directory.</summary>
    public const string DefaultFileName = "patronus.db";

    /// <summary>Parses a store setting. Returns false with a message naming the problem.</summary>
    public static bool TryParse(string? value, string dataDirectory, out StoreLocation? location, out string? error)
    {
        location = null;
        error = null;
        value = value?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            location = Sqlite(Path.Combine(dataDirectory, DefaultFileName));
            return true;
        }

        try
        {
            if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            {
                location = PostgresFromUri(value);
                return true;
            }

            if (value.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
            {
                var file = value["sqlite:".Length..];
                if (file.Length == 0)
                {
                    error = "sqlite: needs a file path (sqlite:/var/lib/patronus/patronus.db)";
                    return false;
                }

                location = Sqlite(Path.GetFullPath(file));
                return true;
            }

            if (value.Contains('=', StringComparison.Ordinal))
            {
                var builder = new NpgsqlConnectionStringBuilder(value);
                if (string.IsNullOrEmpty(builder.Host))
                {
                    error = "the PostgreSQL connection string has no Host";
                    return false;
                }

                location = Postgres(builder);
                return true;
            }

            if (value.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
            {
                location = Sqlite(Path.GetFullPath(value));
                return true;
            }
        }
        catch (ArgumentException ex)
        {
            error = $"the store setting is not a valid connection string: {ex.Message}";
            return false;
        }
        catch (UriFormatException ex)
        {
            error = $"the store setting is not a valid postgres:// URI: {ex.Message}";
            return false;
        }

        error = "the store setting is not recognised: use postgres://user:password@host:port/database, an Npgsql connection string (Host=…), or sqlite:PATH";
        return false;
    }

    private static StoreLocation Sqlite(string file)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = file,
            ForeignKeys = true,
            Pooling = true,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Seconds a command waits on a locked database before failing.
            DefaultTimeout = 30,
        };
        return new StoreLocation(StoreProvider.Sqlite, builder.ToString(), $"SQLite {file}");
    }

    private static StoreLocation PostgresFromUri(string value)
    {
        var uri = new Uri(value);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
        }

        return Postgres(builder);
    }

    private static StoreLocation Postgres(NpgsqlConnectionStringBuilder builder) =>
        new(StoreProvider.Postgres, builder.ConnectionString,
            $"PostgreSQL {builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}");
}
