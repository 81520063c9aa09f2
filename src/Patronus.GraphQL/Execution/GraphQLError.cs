using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Execution;

/// <summary>A GraphQL error as the response carries it (spec §7.1.2): message, locations, path, extensions.</summary>
public sealed record GraphQLError(
    string Message,
    IReadOnlyList<SourceLocation>? Locations = null,
    IReadOnlyList<object>? Path = null,
    IReadOnlyDictionary<string, object?>? Extensions = null)
{
    /// <summary>An error located at the given nodes.</summary>
    public static GraphQLError At(string message, params ReadOnlySpan<Node?> nodes)
    {
        var locations = new List<SourceLocation>();
        foreach (var node in nodes)
        {
            if (node is not null && node.Location.Line > 0)
            {
                locations.Add(node.Location.StartLocation);
            }
        }

        return new GraphQLError(message, locations.Count == 0 ? null : locations);
    }

    /// <summary>The syntax error as a GraphQL error.</summary>
    public static GraphQLError From(GraphQLSyntaxException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new GraphQLError(exception.Message, [exception.SourceLocation]);
    }
}

/// <summary>
/// Thrown by resolvers to report a field error whose message is safe to show clients (other
/// exceptions' messages are hidden unless <see cref="ExecutorOptions.ExposeExceptionMessages"/>).
/// </summary>
public class GraphQLException : Exception
{
    public GraphQLException()
    {
    }

    public GraphQLException(string message)
        : base(message)
    {
    }

    public GraphQLException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GraphQLException(string message, IReadOnlyDictionary<string, object?> extensions)
        : base(message) => Extensions = extensions;

    /// <summary>Extra entries for the error's <c>extensions</c> (e.g. a <c>code</c>).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; }
}
