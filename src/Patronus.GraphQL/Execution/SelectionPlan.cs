using System.Collections;
using System.Text.Json;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Execution;

/// <summary>
/// The fields collected for one object type and selection, prepared once per operation and shared
/// by every object completed from it (all items of a list): response keys, plain and encoded as JSON
/// property names, their field nodes, and for each plain leaf (<see cref="Leaf"/>) what reading it
/// takes. What a field needs per object is then an array index, not lookups by name.
/// </summary>
internal sealed class SelectionPlan
{
    public SelectionPlan(ObjectType type, OrderedDictionary<string, List<FieldNode>> fields)
    {
        Keys = [.. fields.Keys];
        Nodes = [.. fields.Values];

        // Response keys are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): nothing in them is escaped.
        EncodedKeys = Array.ConvertAll(Keys, key => JsonEncodedText.Encode(key));
        Leaves = new Leaf?[Keys.Length];
        for (var i = 0; i < Nodes.Length; i++)
        {
            if (type.GetField(Nodes[i][0].Name.Value) is { Resolver: null, Subscriber: null, Arguments.Count: 0 } field
                && (field.Type is NonNullType nonNull ? nonNull.OfType : field.Type) is ScalarType or EnumType)
            {
                Leaves[i] = new Leaf(field);
            }
        }
    }

    /// <summary>The response keys in order.</summary>
    public string[] Keys { get; }

    /// <summary>The response keys as JSON property names, in the same order.</summary>
    public JsonEncodedText[] EncodedKeys { get; }

    /// <summary>The field nodes of each response key.</summary>
    public List<FieldNode>[] Nodes { get; }

    /// <summary>For each key, the plain leaf it is (no resolver, no arguments, scalar or enum type), else null.</summary>
    public Leaf?[] Leaves { get; }

    public int Count => Keys.Length;

    /// <summary>Whether a parent value has its leaves read through property getters (not a map, which the general path reads by key).</summary>
    public static bool ReadsProperties(object? source) =>
        source is not (null or IDictionary or IReadOnlyDictionary<string, object?> or IDictionary<string, object?>);

    /// <summary>
    /// A field with no resolver and no arguments whose type is a scalar or enum: read from the
    /// parent's public property by a compiled getter, found once per CLR type of the parent.
    /// </summary>
    internal sealed class Leaf
    {
        private readonly NamedType _type;

        // Which CLR value a specified scalar serializes to itself (String and ID: a string, Int: an
        // int, Float: a finite double, Boolean: a bool): for it Serialize is not called.
        private readonly Own _own;
        private Getter? _last;

        public Leaf(FieldDefinition field)
        {
            Field = field;
            _type = (NamedType)(field.Type is NonNullType nonNull ? nonNull.OfType : field.Type);
            _own = _type == Scalars.String || _type == Scalars.ID ? Own.String
                : _type == Scalars.Int ? Own.Int
                : _type == Scalars.Float ? Own.Double
                : _type == Scalars.Boolean ? Own.Bool
                : Own.None;
        }

        private enum Own
        {
            None,
            String,
            Int,
            Double,
            Bool,
        }

        public FieldDefinition Field { get; }

        /// <summary>
        /// The serialized value of the field on <paramref name="source"/> (of CLR type <paramref name="type"/>); false for anything unusual
        /// (no such property, a throwing getter, null, a failed coercion), which the general path
        /// then reads again and reports as it always has.
        /// </summary>
        public bool TryComplete(object source, Type type, out object? value)
        {
            value = null;
            var last = Volatile.Read(ref _last);
            if (last is null || last.Type != type)
            {
                // Several threads may race here: each stores a complete entry, and any one is right.
                last = new Getter(type, Executor.Getter(type, Field.Name));
                Volatile.Write(ref _last, last);
            }

            if (last.Read is not { } read)
            {
                return false;
            }

            object? raw;
#pragma warning disable CA1031 // a throwing getter is reported by the general path, which reads again
            try
            {
                raw = read(source);
            }
            catch (Exception)
            {
                return false;
            }
#pragma warning restore CA1031

            if (raw is null)
            {
                return false;
            }

            if (_own switch
            {
                Own.String => raw is string,
                Own.Double => raw is double d && double.IsFinite(d),
                Own.Int => raw is int,
                Own.Bool => raw is bool,
                _ => false,
            })
            {
                value = raw;
                return true;
            }

            if (_type is ScalarType scalar)
            {
                var serialized = scalar.Serialize(raw);
                value = serialized.Value;
                return serialized.IsSuccess && value is not null;
            }

            value = ((EnumType)_type).FromInternal(raw)?.Name;
            return value is not null;
        }

        private sealed record Getter(Type Type, Func<object, object?>? Read);
    }
}
