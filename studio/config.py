"""The labelling config: built for a new project, read back (with the SDK's ``LabelInterface``) for its class names."""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

DEFAULT_CLASSES = ("symbol", "garbage")  # the first is the class to keep, the last the reject
FROM_NAME, TO_NAME = "label", "image"  # the <Choices> control and the <Image> object it labels


def label_config(classes: tuple[str, ...] = DEFAULT_CLASSES) -> str:
    """Keep-vs-garbage image classification; the first class is the one to keep."""
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"need two or more distinct class names, got {classes!r}")
    choices = "\n".join(f"    <Choice value={quoteattr(c)}/>" for c in classes)
    return ("<View>\n"
            f'  <Image name="{TO_NAME}" value="$image" maxWidth="400px"/>\n'
            f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single" showInline="true">\n'
            f"{choices}\n"
            "  </Choices>\n"
            '  <Text name="source" value="$source"/>\n'
            "</View>")


def class_names(config: str, from_name: str = FROM_NAME) -> list[str]:
    """The Choice values of the ``<Choices name=from_name>`` tag, in config order."""
    from label_studio_sdk.label_interface import LabelInterface
    controls = {c.name: c for c in LabelInterface(config).controls if c.tag == "Choices"}
    names = [n for n in getattr(controls.get(from_name), "labels", None) or [] if n]
    if len(names) < 2:
        raise ValueError(f"label config has no <Choices name={from_name!r}> with two or more choices")
    return names
