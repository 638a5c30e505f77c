"""Simplified Chinese date formats for templates' |date:"DATE_FORMAT" and friends.

The long forms are Django's own zh_Hans ones, pinned because the 受理回单/退理回单 are documents people keep:
their style (2019年10月15日 10:30) should not change with a Django upgrade. The short forms are the compact
numeric dates (GB/T 7408) the pages use in timelines and lists, where Django's zh_Hans short form is the long one.
"""

DATE_FORMAT = "Y年n月j日"  # 2019年10月15日
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2019年10月15日 10:30
SHORT_DATE_FORMAT = "Y-m-d"  # 2019-10-15
SHORT_DATETIME_FORMAT = "Y-m-d H:i"  # 2019-10-15 10:30
