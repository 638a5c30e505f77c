import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wenming.cases.workflow import WorkflowError, prepare_attachments


def test_decompression_bomb_is_refused_not_a_crash():
    buffer = io.BytesIO()
    Image.new("1", (14000, 14000)).save(buffer, format="PNG")  # ~200 megapixels in a small file
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    with pytest.raises(WorkflowError, match="不是有效的图片"):
        prepare_attachments([bomb], "report")
