"""The labelling config: built for a new project, read back (with the SDK's ``LabelInterface``) for its class names."""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

DEFAULT_CLASSES = ("symbol", "garbage")  # the first is the class to keep, the last the reject
FROM_NAME, TO_NAME = "label", "image"  # the <Choices> control and the <Image> object it labels
SAYS_NAME = "model"  # the screen's read-only line with the prediction and its score
CONTEXT_NAME = "context"  # the <Image> of the crop in its surroundings


def label_config(classes: tuple[str, ...] = DEFAULT_CLASSES) -> str:
    """Keep-vs-garbage image classification; the first class is the one to keep.

    The screen shows the crop enlarged, beside it the window of the picture it was cut from
    with its box drawn (``$context``), its source path as a plain line, and the choices with
    hotkeys 1, 2, ...; the model's pre-annotation comes selected, and the read-only ``SAYS_NAME``
    line beside them says what the model predicts and how sure it is. The path is read from
    ``source_path``: Label Studio's editor overwrites a task's ``data.source`` with the whole
    task as JSON (its task store's ``dataObj``), which is what ``$source`` used to show."""
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"need two or more distinct class names, got {classes!r}")
    choices = "\n".join(f"    <Choice value={quoteattr(c)} hotkey=\"{i}\"/>" for i, c in enumerate(classes, 1))
    return ("<View>\n"
            "  <Style>.lsf-text-area form { display: none; }</Style>\n"  # the read-only line, no input box
            '  <Header value="$source_path" size="6"/>\n'
            '  <View style="display: flex; gap: 32px; align-items: center">\n'
            f'    <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single" showInline="true">\n'
            f"{choices}\n"
            "    </Choices>\n"
            f'    <TextArea name="{SAYS_NAME}" toName="{TO_NAME}" readonly="true" editable="false" rows="1"/>\n'
            "  </View>\n"
            '  <View style="display: flex; gap: 24px; align-items: flex-start">\n'
            '    <View style="flex: 0 0 320px">\n'
            f'      <Image name="{TO_NAME}" value="$image" width="320px" maxWidth="320px" zoom="false"/>\n'
            "    </View>\n"
            '    <View style="flex: 1 1 auto">\n'
            f'      <Image name="{CONTEXT_NAME}" value="$context" maxWidth="480px" zoom="false"/>\n'
            "    </View>\n"
            "  </View>\n"
            "</View>")


def class_names(config: str, from_name: str = FROM_NAME) -> list[str]:
    """The Choice values of the ``<Choices name=from_name>`` tag, in config order."""
    from label_studio_sdk.label_interface import LabelInterface
    controls = {c.name: c for c in LabelInterface(config).controls if c.tag == "Choices"}
    names = [n for n in getattr(controls.get(from_name), "labels", None) or [] if n]
    if len(names) < 2:
        raise ValueError(f"label config has no <Choices name={from_name!r}> with two or more choices")
    return names
