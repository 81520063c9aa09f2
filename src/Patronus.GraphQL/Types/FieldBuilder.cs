using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Types;

/// <summary>Configures a field: arguments, resolver, deprecation, cost.</summary>
public sealed class FieldBuilder
{
    private readonly List<InputValueBuilder> _arguments = [];
    private readonly string _type;
    private string? _description;
    private string? _deprecation;
    private FieldResolver? _resolver;
    private SubscriptionResolver? _subscriber;
    private int _cost = 1;
    private string? _listSizeArgument;

    internal FieldBuilder(string name, string type)
    {
        Name = name;
        _type = type;
    }

    /// <summary>The field's name.</summary>
    public string Name { get; }

    /// <summary>Sets the description.</summary>
    public FieldBuilder Description(string? description)
    {
        _description = description;
        return this;
    }

    /// <summary>Marks the field deprecated.</summary>
    public FieldBuilder Deprecated(string reason = Directives.DefaultDeprecationReason)
    {
        _deprecation = reason;
        return this;
    }

    /// <summary>Adds an argument of type <paramref name="type"/>.</summary>
    public FieldBuilder Argument(string name, string type, Action<InputValueBuilder>? configure = null)
    {
        var builder = new InputValueBuilder(name, type);
        configure?.Invoke(builder);
        _arguments.Add(builder);
        return this;
    }

    /// <summary>A synchronous resolver.</summary>
    public FieldBuilder Resolve(Func<ResolveContext, object?> resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        _resolver = ctx => new ValueTask<object?>(resolver(ctx));
        return this;
    }

    /// <summary>An asynchronous resolver.</summary>
    public FieldBuilder Resolve<T>(Func<ResolveContext, Task<T>> resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        _resolver = async ctx => await resolver(ctx).ConfigureAwait(false);
        return this;
    }

    /// <summary>A raw resolver (no adapter): the allocation-free path for hot fields.</summary>
    public FieldBuilder ResolveWith(FieldResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        _resolver = resolver;
        return this;
    }

    /// <summary>
    /// For a subscription root field: the source event stream. Each event becomes the root value
    /// of one execution of the selection set (use <see cref="Resolve(Func{ResolveContext, object?})"/>
    /// to map the event; without a resolver the event itself is the field's value).
    /// </summary>
    public FieldBuilder Subscribe<T>(Func<ResolveContext, IAsyncEnumerable<T>> subscribe)
    {
        ArgumentNullException.ThrowIfNull(subscribe);
        _subscriber = ctx => new ValueTask<IAsyncEnumerable<object?>>(Box(subscribe(ctx)));
        return this;
    }

    /// <summary>Complexity cost of the field itself (default 1).</summary>
    public FieldBuilder Cost(int cost)
    {
        _cost = cost;
        return this;
    }

    /// <summary>The argument (e.g. "first") whose value bounds this list field's size, for complexity.</summary>
    public FieldBuilder ListSize(string argumentName)
    {
        _listSizeArgument = argumentName;
        return this;
    }

    // The consumer's cancellation reaches the source even when the resolver did not pass
    // ctx.CancellationToken to it (e.g. channel.Reader.ReadAllAsync()).
    private static async IAsyncEnumerable<object?> Box<T>(IAsyncEnumerable<T> source, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    internal FieldDefinition Build(string where, SchemaBuilder.BuildContext context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in _arguments)
        {
            if (!names.Add(argument.Name))
            {
                context.Errors.Add($"Argument \"{where}({argument.Name}:)\" can only be defined once.");
            }
        }

        return new FieldDefinition(Name)
        {
            Description = _description,
            DeprecationReason = _deprecation,
            Type = context.ResolveType(_type, where) ?? Scalars.String,
            Arguments = _arguments.Select(a => a.Build($"{where}({a.Name}:)", context)).ToList(),
            Resolver = _resolver,
            Subscriber = _subscriber,
            Cost = _cost,
            ListSizeArgument = _listSizeArgument,
        };
    }
}

/// <summary>Configures an argument or input field: description, default value, deprecation.</summary>
public sealed class InputValueBuilder
{
    private readonly string _type;
    private string? _description;
    private string? _deprecation;
    private string? _defaultLiteral;
    private object? _defaultValue;
    private bool _hasDefaultValue;

    internal InputValueBuilder(string name, string type)
    {
        Name = name;
        _type = type;
    }

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>Sets the description.</summary>
    public InputValueBuilder Description(string? description)
    {
        _description = description;
        return this;
    }

    /// <summary>Marks it deprecated (only allowed when it is optional).</summary>
    public InputValueBuilder Deprecated(string reason = Directives.DefaultDeprecationReason)
    {
        _deprecation = reason;
        return this;
    }

    /// <summary>A default value written as a GraphQL literal, e.g. <c>"10"</c>, <c>"[RED]"</c>, <c>"{a: 1}"</c>.</summary>
    public InputValueBuilder DefaultLiteral(string literal)
    {
        _defaultLiteral = literal;
        return this;
    }

    /// <summary>A default given as an internal value (int, string, enum value, dictionary, list).</summary>
    public InputValueBuilder DefaultValue(object? value)
    {
        _defaultValue = value;
        _hasDefaultValue = true;
        return this;
    }

    internal InputValueDefinition Build(string where, SchemaBuilder.BuildContext context)
    {
        var definition = new InputValueDefinition(Name)
        {
            Description = _description,
            DeprecationReason = _deprecation,
            Type = context.ResolveType(_type, where) ?? Scalars.String,
        };
        if (_defaultLiteral is null && !_hasDefaultValue)
        {
            return definition;
        }

        context.Deferred.Add(() =>
        {
            ValueNode? literal;
            if (_defaultLiteral is not null)
            {
                try
                {
                    literal = Parser.ParseValue(_defaultLiteral);
                }
                catch (GraphQLSyntaxException e)
                {
                    context.Errors.Add($"{where}: invalid default value literal: {e.Message}");
                    return;
                }
            }
            else
            {
                literal = InputCoercion.AstFromValue(_defaultValue, definition.Type);
            }

            if (literal is null || !InputCoercion.TryValueFromAst(literal, definition.Type, null, out var value))
            {
                context.Errors.Add($"{where}: default value is not a valid {definition.Type}.");
                return;
            }

            definition.DefaultValue = value;
            definition.DefaultValueLiteral = InputCoercion.AstFromValue(value, definition.Type) ?? literal;
        });
        return definition;
    }
}
