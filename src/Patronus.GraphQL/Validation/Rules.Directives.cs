using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Validation;

// Spec §5.7 Directives and §5.4 Arguments.

/// <summary>§5.7.1 Directives Are Defined, §5.7.2 Directives Are In Valid Locations.</summary>
internal sealed class KnownDirectivesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is not DirectiveNode directive)
        {
            return true;
        }

        var definition = context.Schema.GetDirective(directive.Name.Value);
        if (definition is null)
        {
            context.Report($"Unknown directive \"@{directive.Name.Value}\".", directive);
            return true;
        }

        var ancestors = context.Walker!.Ancestors;
        var location = ancestors.Count > 0 ? LocationOf(ancestors[^1], ancestors.Count > 1 ? ancestors[^2] : null) : null;
        if (location is { } l && !definition.Locations.Contains(l))
        {
            context.Report($"Directive \"@{directive.Name.Value}\" may not be used on {l.ToSpecName()}.", directive);
        }

        return true;
    }

    private static DirectiveLocation? LocationOf(Node applied, Node? parent) => applied switch
    {
        OperationDefinitionNode o => o.Operation switch
        {
            OperationType.Query => DirectiveLocation.Query,
            OperationType.Mutation => DirectiveLocation.Mutation,
            _ => DirectiveLocation.Subscription,
        },
        FieldNode => DirectiveLocation.Field,
        FragmentSpreadNode => DirectiveLocation.FragmentSpread,
        InlineFragmentNode => DirectiveLocation.InlineFragment,
        FragmentDefinitionNode => DirectiveLocation.FragmentDefinition,
        VariableDefinitionNode => DirectiveLocation.VariableDefinition,
        SchemaDefinitionNode or SchemaExtensionNode => DirectiveLocation.Schema,
        ScalarTypeDefinitionNode => DirectiveLocation.Scalar,
        ObjectTypeDefinitionNode => DirectiveLocation.Object,
        FieldDefinitionNode => DirectiveLocation.FieldDefinition,
        InterfaceTypeDefinitionNode => DirectiveLocation.Interface,
        UnionTypeDefinitionNode => DirectiveLocation.Union,
        EnumTypeDefinitionNode => DirectiveLocation.Enum,
        EnumValueDefinitionNode => DirectiveLocation.EnumValue,
        InputObjectTypeDefinitionNode => DirectiveLocation.InputObject,
        InputValueDefinitionNode => parent is InputObjectTypeDefinitionNode ? DirectiveLocation.InputFieldDefinition : DirectiveLocation.ArgumentDefinition,
        _ => null,
    };
}

/// <summary>§5.7.3 Directives Are Unique Per Location.</summary>
internal sealed class UniqueDirectivesPerLocationRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        IReadOnlyList<DirectiveNode>? directives = node switch
        {
            ExecutableDefinitionNode e => e.Directives,
            SelectionNode s => s.Directives,
            VariableDefinitionNode v => v.Directives,
            TypeSystemDefinitionNode t => t.Directives,
            FieldDefinitionNode f => f.Directives,
            InputValueDefinitionNode i => i.Directives,
            EnumValueDefinitionNode e => e.Directives,
            _ => null,
        };
        if (directives is null)
        {
            return true;
        }

        var seen = new Dictionary<string, DirectiveNode>(StringComparer.Ordinal);
        foreach (var directive in directives)
        {
            var name = directive.Name.Value;
            if (context.Schema.GetDirective(name) is not { IsRepeatable: false })
            {
                continue;
            }

            if (seen.TryGetValue(name, out var first))
            {
                context.Report($"The directive \"@{name}\" can only be used once at this location.", first, directive);
            }
            else
            {
                seen[name] = directive;
            }
        }

        return true;
    }
}

/// <summary>§5.4.1 Argument Names.</summary>
internal sealed class KnownArgumentNamesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        switch (node)
        {
            case DirectiveNode directive when context.Schema.GetDirective(directive.Name.Value) is { } definition:
                foreach (var argument in directive.Arguments)
                {
                    if (definition.GetArgument(argument.Name.Value) is null)
                    {
                        context.Report(
                            $"Unknown argument \"{argument.Name.Value}\" on directive \"@{directive.Name.Value}\"." + Suggestions.DidYouMean(argument.Name.Value, definition.Arguments.Select(a => a.Name)),
                            argument);
                    }
                }

                break;
            case ArgumentNode argument when context.TypeInfo.Argument is null && context.Walker!.Ancestors[^1] is FieldNode
                && context.TypeInfo.FieldDef is { } fieldDef && context.TypeInfo.ParentType is { } parentType:
                context.Report(
                    $"Unknown argument \"{argument.Name.Value}\" on field \"{parentType.Name}.{fieldDef.Name}\"." + Suggestions.DidYouMean(argument.Name.Value, fieldDef.Arguments.Select(a => a.Name)),
                    argument);
                break;
        }

        return true;
    }
}

/// <summary>§5.4.2 Argument Uniqueness.</summary>
internal sealed class UniqueArgumentNamesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        var arguments = node switch
        {
            FieldNode f => f.Arguments,
            DirectiveNode d => d.Arguments,
            _ => null,
        };
        if (arguments is { Count: > 1 })
        {
            foreach (var group in arguments.GroupBy(a => a.Name.Value, StringComparer.Ordinal))
            {
                if (group.Count() > 1)
                {
                    context.Report($"There can be only one argument named \"{group.Key}\".", group.Select(a => (Node?)a.Name).ToArray());
                }
            }
        }

        return true;
    }
}

/// <summary>§5.4.2.1 Required Arguments.</summary>
internal sealed class ProvidedRequiredArgumentsRule(ValidationContext context) : NodeVisitor
{
    public override void Leave(Node node)
    {
        switch (node)
        {
            case FieldNode field when context.TypeInfo.FieldDef is { } fieldDef:
                foreach (var argument in fieldDef.Arguments)
                {
                    if (argument.IsRequired && !field.Arguments.Any(a => a.Name.Value == argument.Name))
                    {
                        context.Report($"Field \"{fieldDef.Name}\" argument \"{argument.Name}\" of type \"{argument.Type}\" is required, but it was not provided.", field);
                    }
                }

                break;
            case DirectiveNode directive when context.Schema.GetDirective(directive.Name.Value) is { } definition:
                foreach (var argument in definition.Arguments)
                {
                    if (argument.IsRequired && !directive.Arguments.Any(a => a.Name.Value == argument.Name))
                    {
                        context.Report($"Directive \"@{directive.Name.Value}\" argument \"{argument.Name}\" of type \"{argument.Type}\" is required, but it was not provided.", directive);
                    }
                }

                break;
        }
    }
}
