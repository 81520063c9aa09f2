using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Validation;

// Spec §5.1 Documents and §5.2 Operations.

/// <summary>§5.1.1 Executable Definitions.</summary>
internal sealed class ExecutableDefinitionsRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is DocumentNode document)
        {
            foreach (var definition in document.Definitions)
            {
                if (definition is ExecutableDefinitionNode)
                {
                    continue;
                }

                var name = definition switch
                {
                    SchemaDefinitionNode or SchemaExtensionNode => "schema",
                    TypeDefinitionNode t => $"\"{t.Name.Value}\"",
                    DirectiveDefinitionNode d => $"\"{d.Name.Value}\"",
                    _ => "unknown",
                };
                context.Report($"The {name} definition is not executable.", definition);
            }
        }

        return true;
    }
}

/// <summary>§5.2.1.1 Operation Name Uniqueness.</summary>
internal sealed class UniqueOperationNamesRule(ValidationContext context) : NodeVisitor
{
    private readonly Dictionary<string, NameNode> _names = new(StringComparer.Ordinal);

    public override bool Enter(Node node)
    {
        if (node is OperationDefinitionNode { Name: { } name })
        {
            if (_names.TryGetValue(name.Value, out var first))
            {
                context.Report($"There can be only one operation named \"{name.Value}\".", first, name);
            }
            else
            {
                _names[name.Value] = name;
            }
        }

        return node is not OperationDefinitionNode;
    }
}

/// <summary>§5.2.2.1 Lone Anonymous Operation.</summary>
internal sealed class LoneAnonymousOperationRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is DocumentNode document)
        {
            var count = document.Definitions.Count(d => d is OperationDefinitionNode);
            foreach (var operation in document.Definitions.OfType<OperationDefinitionNode>())
            {
                if (operation.Name is null && count > 1)
                {
                    context.Report("This anonymous operation must be the only defined operation.", operation);
                }
            }
        }

        return true;
    }
}

/// <summary>§5.2.3.1 Single root field (subscriptions).</summary>
internal sealed class SingleFieldSubscriptionsRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is not OperationDefinitionNode { Operation: OperationType.Subscription } operation)
        {
            return true;
        }

        if (context.Schema.Subscription is not { } subscriptionType)
        {
            return true;
        }

        var fields = new OrderedDictionary<string, List<FieldNode>>(StringComparer.Ordinal);
        Collect(subscriptionType, operation.SelectionSet, fields, new HashSet<string>(StringComparer.Ordinal));
        var prefix = operation.Name is null ? "Anonymous Subscription" : $"Subscription \"{operation.Name.Value}\"";
        if (fields.Count > 1)
        {
            var extra = fields.Values.Skip(1).SelectMany(f => f).Cast<Node?>().ToArray();
            context.Report($"{prefix} must select only one top level field.", extra);
        }

        foreach (var nodes in fields.Values)
        {
            if (nodes[0].Name.Value.StartsWith("__", StringComparison.Ordinal))
            {
                context.Report($"{prefix} must not select an introspection top level field.", nodes.Cast<Node?>().ToArray());
            }
        }

        return true;
    }

    private void Collect(ObjectType type, SelectionSetNode set, OrderedDictionary<string, List<FieldNode>> fields, HashSet<string> visited)
    {
        var noVariables = new Dictionary<string, object?>();
        foreach (var selection in set.Selections)
        {
            if (!FieldCollector.ShouldInclude(selection.Directives, noVariables))
            {
                continue;
            }

            switch (selection)
            {
                case FieldNode field:
                    if (!fields.TryGetValue(field.ResponseKey, out var list))
                    {
                        fields.Add(field.ResponseKey, list = []);
                    }

                    list.Add(field);
                    break;
                case InlineFragmentNode inline when inline.TypeCondition is null || Applies(inline.TypeCondition, type):
                    Collect(type, inline.SelectionSet, fields, visited);
                    break;
                case FragmentSpreadNode spread when visited.Add(spread.Name.Value) && context.GetFragment(spread.Name.Value) is { } fragment && Applies(fragment.TypeCondition, type):
                    Collect(type, fragment.SelectionSet, fields, visited);
                    break;
            }
        }
    }

    private bool Applies(NamedTypeNode condition, ObjectType type)
    {
        var conditionType = context.Schema.GetType(condition.Name.Value);
        return conditionType is not null && (ReferenceEquals(conditionType, type) || (conditionType.IsAbstractType && context.Schema.IsSubType(conditionType, type)));
    }
}

/// <summary>§5.5.1.2 (type names exist) — graphql-js KnownTypeNames.</summary>
internal sealed class KnownTypeNamesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is NamedTypeNode named && context.Schema.GetType(named.Name.Value) is null)
        {
            var name = named.Name.Value;
            context.Report($"Unknown type \"{name}\"." + Suggestions.DidYouMean(name, context.Schema.Types.Select(t => t.Name)), named);
        }

        return true;
    }
}

/// <summary>§5.5.1.3 Fragments On Composite Types.</summary>
internal sealed class FragmentsOnCompositeTypesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        switch (node)
        {
            case InlineFragmentNode { TypeCondition: { } condition } when context.Schema.GetType(condition.Name.Value) is { IsCompositeType: false }:
                context.Report($"Fragment cannot condition on non composite type \"{condition.Name.Value}\".", condition);
                break;
            case FragmentDefinitionNode fragment when context.Schema.GetType(fragment.TypeCondition.Name.Value) is { IsCompositeType: false }:
                context.Report($"Fragment \"{fragment.Name.Value}\" cannot condition on non composite type \"{fragment.TypeCondition.Name.Value}\".", fragment.TypeCondition);
                break;
        }

        return true;
    }
}

/// <summary>§5.8.2 Variables Are Input Types.</summary>
internal sealed class VariablesAreInputTypesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is VariableDefinitionNode definition && VariableCoercion.TypeFromAst(context.Schema, definition.Type) is { IsInputType: false })
        {
            context.Report($"Variable \"${definition.Variable.Name.Value}\" cannot be non-input type \"{Printer.Print(definition.Type)}\".", definition.Type);
        }

        return true;
    }
}

/// <summary>§5.3.3 Leaf Field Selections.</summary>
internal sealed class ScalarLeafsRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is FieldNode field && context.TypeInfo.Type is { } type)
        {
            if (type.NamedType.IsLeafType)
            {
                if (field.SelectionSet is not null)
                {
                    context.Report($"Field \"{field.Name.Value}\" must not have a selection since type \"{type}\" has no subfields.", field.SelectionSet);
                }
            }
            else if (field.SelectionSet is null)
            {
                context.Report($"Field \"{field.Name.Value}\" of type \"{type}\" must have a selection of subfields. Did you mean \"{field.Name.Value} {{ ... }}\"?", field);
            }
        }

        return true;
    }
}

/// <summary>§5.3.1 Field Selections.</summary>
internal sealed class FieldsOnCorrectTypeRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is FieldNode field && context.TypeInfo.ParentType is { } parentType && context.TypeInfo.FieldDef is null)
        {
            var name = field.Name.Value;
            var schema = context.Schema;
            var suggestion = string.Empty;
            if (parentType.IsAbstractType)
            {
                suggestion = Suggestions.Format(SuggestedTypeNames(schema, parentType, name), "to use an inline fragment on");
            }

            if (suggestion.Length == 0 && parentType is FieldsType fieldsType)
            {
                suggestion = Suggestions.DidYouMean(name, fieldsType.Fields.Select(f => f.Name));
            }

            context.Report($"Cannot query field \"{name}\" on type \"{parentType.Name}\"." + suggestion, field);
        }

        return true;
    }

    // graphql-js getSuggestedTypeNames: types that have the field, the most used by possible types first.
    private static List<string> SuggestedTypeNames(Schema schema, NamedType type, string fieldName)
    {
        var suggested = new List<FieldsType>();
        var usage = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var possible in schema.GetPossibleTypes(type))
        {
            if (possible.GetField(fieldName) is null)
            {
                continue;
            }

            suggested.Add(possible);
            usage[possible.Name] = 1;
            foreach (var iface in possible.Interfaces)
            {
                if (iface.GetField(fieldName) is null)
                {
                    continue;
                }

                if (!suggested.Contains(iface))
                {
                    suggested.Add(iface);
                }

                usage[iface.Name] = usage.GetValueOrDefault(iface.Name) + 1;
            }
        }

        suggested.Sort((a, b) =>
        {
            var diff = usage[b.Name] - usage[a.Name];
            if (diff != 0)
            {
                return diff;
            }

            if (a is InterfaceType && schema.IsSubType(a, b))
            {
                return -1;
            }

            if (b is InterfaceType && schema.IsSubType(b, a))
            {
                return 1;
            }

            return SchemaPrinter.NaturalComparer.Instance.Compare(a.Name, b.Name);
        });
        return suggested.Select(t => t.Name).ToList();
    }
}
