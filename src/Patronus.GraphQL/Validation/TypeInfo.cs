using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Introspection;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

/// <summary>
/// Tracks the schema types in scope while walking a document (a port of graphql-js TypeInfo):
/// parent composite type, field, output type, directive, argument, input type and its default.
/// </summary>
public sealed class TypeInfo
{
    private readonly Schema _schema;
    private readonly List<GraphQLType?> _typeStack = [];
    private readonly List<NamedType?> _parentTypeStack = [];
    private readonly List<GraphQLType?> _inputTypeStack = [];
    private readonly List<FieldDefinition?> _fieldDefStack = [];
    private readonly List<InputValueDefinition?> _defaultValueStack = [];

    public TypeInfo(Schema schema, GraphQLType? initialType = null)
    {
        _schema = schema;
        if (initialType is not null)
        {
            if (initialType.IsInputType)
            {
                _inputTypeStack.Add(initialType);
            }

            if (initialType.NamedType.IsCompositeType)
            {
                _parentTypeStack.Add(initialType.NamedType);
            }

            if (initialType.IsOutputType)
            {
                _typeStack.Add(initialType);
            }
        }
    }

    /// <summary>The current output type.</summary>
    public GraphQLType? Type => Top(_typeStack);

    /// <summary>The composite type whose selection set we are in.</summary>
    public NamedType? ParentType => Top(_parentTypeStack);

    /// <summary>The expected input type of the current value.</summary>
    public GraphQLType? InputType => Top(_inputTypeStack);

    /// <summary>The input type one level up (the list or input object containing the current value).</summary>
    public GraphQLType? ParentInputType => _inputTypeStack.Count > 1 ? _inputTypeStack[^2] : null;

    /// <summary>The current field's definition.</summary>
    public FieldDefinition? FieldDef => Top(_fieldDefStack);

    /// <summary>The argument or input field whose default applies at the current value position.</summary>
    public InputValueDefinition? DefaultValueOwner => Top(_defaultValueStack);

    /// <summary>The current directive's definition.</summary>
    public DirectiveDefinition? Directive { get; private set; }

    /// <summary>The current argument's definition.</summary>
    public InputValueDefinition? Argument { get; private set; }

    /// <summary>The current enum value.</summary>
    public EnumValueDefinition? EnumValue { get; private set; }

    private static T? Top<T>(List<T?> stack)
        where T : class => stack.Count > 0 ? stack[^1] : null;

    private static void Pop<T>(List<T> stack)
    {
        if (stack.Count > 0)
        {
            stack.RemoveAt(stack.Count - 1);
        }
    }

    /// <summary>Field definition lookup including the meta-fields.</summary>
    public static FieldDefinition? GetFieldDef(Schema schema, NamedType parentType, string name)
    {
        if (name == "__schema" && ReferenceEquals(schema.Query, parentType))
        {
            return IntrospectionTypes.SchemaField;
        }

        if (name == "__type" && ReferenceEquals(schema.Query, parentType))
        {
            return IntrospectionTypes.TypeField;
        }

        if (name == "__typename" && parentType.IsCompositeType)
        {
            return IntrospectionTypes.TypeNameField;
        }

        return (parentType as FieldsType)?.GetField(name);
    }

    internal void Enter(Node node)
    {
        switch (node)
        {
            case SelectionSetNode:
                {
                    var named = Type?.NamedType;
                    _parentTypeStack.Add(named is { IsCompositeType: true } ? named : null);
                    break;
                }

            case FieldNode field:
                {
                    var parentType = ParentType;
                    var fieldDef = parentType is null ? null : GetFieldDef(_schema, parentType, field.Name.Value);
                    _fieldDefStack.Add(fieldDef);
                    _typeStack.Add(fieldDef?.Type is { IsOutputType: true } t ? t : null);
                    break;
                }

            case DirectiveNode directive:
                Directive = _schema.GetDirective(directive.Name.Value);
                break;
            case OperationDefinitionNode operation:
                _typeStack.Add(_schema.GetRootType(operation.Operation));
                break;
            case InlineFragmentNode inline:
                {
                    var type = inline.TypeCondition is null ? Type?.NamedType : _schema.GetType(inline.TypeCondition.Name.Value);
                    _typeStack.Add(type is { IsOutputType: true } ? type : null);
                    break;
                }

            case FragmentDefinitionNode fragment:
                {
                    var type = _schema.GetType(fragment.TypeCondition.Name.Value);
                    _typeStack.Add(type is { IsOutputType: true } ? type : null);
                    break;
                }

            case VariableDefinitionNode variable:
                {
                    var type = VariableCoercion.TypeFromAst(_schema, variable.Type);
                    _inputTypeStack.Add(type is { IsInputType: true } ? type : null);
                    break;
                }

            case ArgumentNode argument:
                {
                    var definition = Directive is { } directive ? directive.GetArgument(argument.Name.Value) : FieldDef?.GetArgument(argument.Name.Value);
                    Argument = definition;
                    _defaultValueStack.Add(definition);
                    _inputTypeStack.Add(definition?.Type is { IsInputType: true } t ? t : null);
                    break;
                }

            case ListValueNode:
                {
                    var listType = InputType?.Nullable;
                    var itemType = listType is ListType list ? list.OfType : listType;
                    _defaultValueStack.Add(null);
                    _inputTypeStack.Add(itemType is { IsInputType: true } ? itemType : null);
                    break;
                }

            case ObjectFieldNode objectField:
                {
                    var inputField = InputType?.NamedType is InputObjectType objectType ? objectType.GetField(objectField.Name.Value) : null;
                    _defaultValueStack.Add(inputField);
                    _inputTypeStack.Add(inputField?.Type is { IsInputType: true } t ? t : null);
                    break;
                }

            case EnumValueNode enumValue:
                EnumValue = InputType?.NamedType is EnumType enumType ? enumType.GetValue(enumValue.Value) : null;
                break;
        }
    }

    internal void Leave(Node node)
    {
        switch (node)
        {
            case SelectionSetNode:
                Pop(_parentTypeStack);
                break;
            case FieldNode:
                Pop(_fieldDefStack);
                Pop(_typeStack);
                break;
            case DirectiveNode:
                Directive = null;
                break;
            case OperationDefinitionNode or InlineFragmentNode or FragmentDefinitionNode:
                Pop(_typeStack);
                break;
            case VariableDefinitionNode:
                Pop(_inputTypeStack);
                break;
            case ArgumentNode:
                Argument = null;
                Pop(_defaultValueStack);
                Pop(_inputTypeStack);
                break;
            case ListValueNode or ObjectFieldNode:
                Pop(_defaultValueStack);
                Pop(_inputTypeStack);
                break;
            case EnumValueNode:
                EnumValue = null;
                break;
        }
    }
}
