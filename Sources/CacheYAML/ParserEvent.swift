/// libyaml's events, copied into Swift values so that the tree builder is
/// plain Swift: no C pointers outlive the event they came from.
enum ParserEvent {
    case streamStart
    case streamEnd
    case documentStart(YAMLMark)
    case documentEnd
    case scalar(String, YAMLScalarStyle, tag: String?, anchor: String?, mark: YAMLMark)
    case sequenceStart(tag: String?, anchor: String?, mark: YAMLMark)
    case sequenceEnd
    case mappingStart(tag: String?, anchor: String?, mark: YAMLMark)
    case mappingEnd
    case alias(String, mark: YAMLMark)
}
