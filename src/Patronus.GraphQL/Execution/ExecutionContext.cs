using System.Collections.Concurrent;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Execution;

/// <summary>State of one operation's execution; the error list is shared by concurrently running resolvers.</summary>
internal sealed class ExecutionContext
{
    private readonly List<GraphQLError> _errors = [];

    public ExecutionContext(
        Schema schema,
        ExecutorOptions options,
        OperationDefinitionNode operation,
        IReadOnlyDictionary<string, FragmentDefinitionNode> fragments,
        IReadOnlyDictionary<string, object?> variables,
        object? context,
        CancellationToken cancellationToken)
    {
        Schema = schema;
        Options = options;
        Operation = operation;
        Fragments = fragments;
        Variables = variables;
        Context = context;
        CancellationToken = cancellationToken;
    }

    public Schema Schema { get; }

    public ExecutorOptions Options { get; }

    public OperationDefinitionNode Operation { get; }

    public IReadOnlyDictionary<string, FragmentDefinitionNode> Fragments { get; }

    public IReadOnlyDictionary<string, object?> Variables { get; }

    public object? Context { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Subfields collected and prepared per (object type, merged field nodes): the same for every
    /// item of a list, as @skip/@include read this operation's variables only. Resolvers may run on several threads.
    /// </summary>
    public ConcurrentDictionary<(ObjectType Type, IReadOnlyList<FieldNode> Nodes), SelectionPlan> Subfields { get; } = new();

    /// <summary>The same operation with an empty error list and another cancellation token.</summary>
    public ExecutionContext Renew(CancellationToken cancellationToken) =>
        new(Schema, Options, Operation, Fragments, Variables, Context, cancellationToken);

    public void AddError(GraphQLError error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }

    public IReadOnlyList<GraphQLError> TakeErrors()
    {
        lock (_errors)
        {
            var errors = _errors.ToList();
            _errors.Clear();
            return errors;
        }
    }
}

/// <summary>A field error travelling up to the nearest nullable field (spec §6.4.4 null propagation).</summary>
internal sealed class FieldErrorException : Exception
{
    public FieldErrorException(GraphQLError error)
        : base(error.Message) => Error = error;

    public FieldErrorException()
        : this(new GraphQLError("Field error."))
    {
    }

    public FieldErrorException(string message)
        : this(new GraphQLError(message))
    {
    }

    public FieldErrorException(string message, Exception innerException)
        : base(message, innerException) => Error = new GraphQLError(message);

    public GraphQLError Error { get; }
}
