"""The project's single exception root, at the bottom so that every package can raise it.

Other packages add their own subclasses of JingjinError; callers catch the root.
"""


class JingjinError(Exception):
    """Root of every error jingjin raises on purpose."""
