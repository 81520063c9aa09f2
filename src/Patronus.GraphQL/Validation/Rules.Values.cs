using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Validation;

// Spec §5.6 Values.

/// <summary>§5.6.1 Values of Correct Type (graphql-js ValuesOfCorrectType).</summary>
internal sealed class ValuesOfCorrectTypeRule(ValidationContext context) : NodeVisitor
{
    private TypeInfo Info => context.TypeInfo;

    public override bool Enter(Node node)
    {
        switch (node)
        {
            case ListValueNode list:
                if (Info.ParentInputType?.Nullable is not ListType)
                {
                    CheckLeaf(list);
                    return false;
                }

                return true;
            case ObjectValueNode obj:
                if (Info.InputType?.NamedType is not InputObjectType type)
                {
                    CheckLeaf(obj);
                    return false;
                }

                foreach (var field in type.Fields)
                {
                    if (field.IsRequired && !obj.Fields.Any(f => f.Name.Value == field.Name))
                    {
                        context.Report($"Field \"{type.Name}.{field.Name}\" of required type \"{field.Type}\" was not provided.", obj);
                    }
                }

                return true;
            case ObjectFieldNode objectField:
                if (Info.InputType is null && Info.ParentInputType?.NamedType is InputObjectType parentType)
                {
                    context.Report(
                        $"Field \"{objectField.Name.Value}\" is not defined by type \"{parentType.Name}\"." + Suggestions.DidYouMean(objectField.Name.Value, parentType.Fields.Select(f => f.Name)),
                        objectField);
                }

                return true;
            case NullValueNode:
                if (Info.InputType is NonNullType nonNull)
                {
                    context.Report($"Expected value of type \"{nonNull}\", found null.", node);
                }

                return true;
            case EnumValueNode or IntValueNode or FloatValueNode or StringValueNode or BooleanValueNode:
                CheckLeaf((ValueNode)node);
                return true;
            default:
                return true;
        }
    }

    private void CheckLeaf(ValueNode node)
    {
        var locationType = Info.InputType;
        if (locationType is null)
        {
            return;
        }

        var type = locationType.NamedType;
        var printed = Printer.Print(node);
        if (!type.IsLeafType)
        {
            context.Report($"Expected value of type \"{locationType}\", found {printed}.", node);
            return;
        }

        if (type is EnumType enumType)
        {
            if (node is not EnumValueNode enumValue)
            {
                context.Report(
                    $"Enum \"{enumType.Name}\" cannot represent non-enum value: {printed}."
                        + Suggestions.DidYouMean(printed, enumType.Values.Select(v => v.Name), "the enum value"),
                    node);
            }
            else if (enumType.GetValue(enumValue.Value) is null)
            {
                context.Report(
                    $"Value \"{enumValue.Value}\" does not exist in \"{enumType.Name}\" enum." + Suggestions.DidYouMean(enumValue.Value, enumType.Values.Select(v => v.Name), "the enum value"),
                    node);
            }

            return;
        }

        var result = ((ScalarType)type).ParseLiteral(node);
        if (!result.IsSuccess)
        {
            context.Report(result.Error ?? $"Expected value of type \"{locationType}\", found {printed}.", node);
        }
    }
}

/// <summary>§5.6.3 Input Object Field Uniqueness.</summary>
internal sealed class UniqueInputFieldNamesRule(ValidationContext context) : NodeVisitor
{
    public override bool Enter(Node node)
    {
        if (node is ObjectValueNode obj)
        {
            var seen = new Dictionary<string, NameNode>(StringComparer.Ordinal);
            foreach (var field in obj.Fields)
            {
                if (seen.TryGetValue(field.Name.Value, out var first))
                {
                    context.Report($"There can be only one input field named \"{field.Name.Value}\".", first, field.Name);
                }
                else
                {
                    seen[field.Name.Value] = field.Name;
                }
            }
        }

        return true;
    }
}
